import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../shared/metric-names';
import { eventCallback, threadReply } from '../fixtures/slack-events';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { signedSlackRequest } from '../support/slack-requests';

let bridge: BridgeHarness;
beforeAll(async () => {
  bridge = await startBridgeHarness();
});
afterAll(() => bridge.close());

/** Runs `act` and returns the embedded-metric-format documents the function printed. */
async function emittedMetrics(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('business metrics', () => {
  it('counts delivered replies and delivery failures as CloudWatch embedded metrics', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const handler = await bridge.loadHandler('../../functions/slack-events/handler');
    await seedHandoff(bridge.store, 'conv-metrics', '1717549999.000001');

    const delivered = await emittedMetrics(() => handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('hi', { threadTs: '1717549999.000001' }))))));
    expect(delivered).toEqual([expect.objectContaining({ AgentRepliesDelivered: 1, service: 'botpress-slack-hitl' })]);
    expect(JSON.stringify(delivered[0])).toContain(METRICS_NAMESPACE);

    bridge.botpress.status = 500;
    const callback = eventCallback(threadReply('lost', { threadTs: '1717549999.000001' }));
    const retried = await emittedMetrics(() => handler(signedSlackRequest(JSON.stringify(callback))));
    const failed = await emittedMetrics(() => handler(signedSlackRequest(JSON.stringify(callback), { retryNum: 3 })));
    expect(retried).toEqual([expect.objectContaining({ DeliveryRetries: 1 })]);
    expect(failed).toEqual([expect.objectContaining({ DeliveryFailures: 1 })]);
  });
});

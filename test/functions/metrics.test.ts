import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../shared/platform/metric-names';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/render/cards';
import { buttonPress } from '../fixtures/slack-interactions';
import { AGENT, eventCallback, threadReply } from '../fixtures/slack-events';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

let bridge: BridgeHarness;
beforeAll(async () => {
  bridge = await startBridgeHarness();
  // Before any handler loads (each reads its settings once): the delivery function, loaded by whichever test runs first, gives up after 3 s.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('DELIVERY_GIVE_UP_MINUTES', '0.05');
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
  it('counts queued and delivered replies, retries and what was given up as CloudWatch embedded metrics', async () => {
    const handler = await bridge.loadHandler('../../functions/slack-events/handler');
    await seedHandoff(bridge.store, 'conv-metrics', '1717549999.000001');

    const queued = await emittedMetrics(() => handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('hi', { threadTs: '1717549999.000001' }))))));
    expect(queued).toEqual([expect.objectContaining({ AgentRepliesQueued: 1, service: 'botpress-slack-hitl' })]);
    expect(JSON.stringify(queued[0])).toContain(METRICS_NAMESPACE);
    // The first reply of the handoff is also its time to first reply (a service level, tested below).
    expect((await emittedMetrics(() => bridge.runDeliveries())).filter((document) => !('TimeToFirstReply' in document))).toEqual([expect.objectContaining({ AgentRepliesDelivered: 1 })]);

    bridge.botpress.status = 500;
    await handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('lost', { threadTs: '1717549999.000001' })))));
    expect(await emittedMetrics(() => bridge.runDeliveries())).toEqual([expect.objectContaining({ DeliveryRetries: 1 })]);
    // DELIVERY_GIVE_UP_MINUTES: 0.05 is 3 s; the retry after it gives up.
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    expect(await emittedMetrics(() => bridge.runDeliveries())).toEqual([expect.objectContaining({ DeliveryFailures: 1 })]);
  });

  it('counts a Slack refusal, which a person must fix, where Botpress waits for the card', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const handler = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
    bridge.slack.failing.set('chat.postMessage', 'not_in_channel');
    try {
      const refused = await emittedMetrics(() => handler(botpressRequest('/botpress/handoff', { conversationId: 'conv-refused', userId: 'u', summary: 'Needs a human' })));
      expect(refused).toEqual([expect.objectContaining({ SlackRefusals: 1 })]);
    } finally {
      bridge.slack.failing.clear();
    }
  });

  it('measures each handoff’s time to claim, to the first reply the customer got and to resolve, in ms, for the service and per channel, and logs them', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    bridge.botpress.status = 200;
    const handler = await bridge.loadHandler('../../functions/slack-events/handler');
    const threadTs = '1717550999.000001';
    await seedHandoff(bridge.store, 'conv-service', threadTs);
    const press = (actionId: string) =>
      handler(signedSlackRequest(buttonPress({ actionId, value: 'conv-service', user: AGENT, messageTs: threadTs }), { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }));
    const levels = (documents: Record<string, unknown>[], name: string) => documents.filter((document) => name in document);

    const claimed = await emittedMetrics(() => press(CLAIM_ACTION_ID));
    expect(levels(claimed, 'TimeToClaim')).toEqual([
      expect.objectContaining({ service: 'botpress-slack-hitl', TimeToClaim: expect.any(Number) as number }),
      expect.objectContaining({ service: 'botpress-slack-hitl', Channel: 'C0SUPPORT1', TimeToClaim: expect.any(Number) as number }),
    ]);
    expect(levels(claimed, 'TimeToClaim')[0]).not.toHaveProperty('Channel');
    await handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('first', { threadTs })))));
    await handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('second', { threadTs })))));
    const delivered = await emittedMetrics(() => bridge.runDeliveries());
    expect(levels(delivered, 'TimeToFirstReply')).toHaveLength(2);
    const resolved = await emittedMetrics(() => press(RESOLVE_ACTION_ID));
    expect(levels(resolved, 'TimeToResolve').map((document) => document.Channel)).toEqual([undefined, 'C0SUPPORT1']);
    const unit = (document: Record<string, unknown>) => JSON.stringify((document._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics);
    expect(unit(levels(resolved, 'TimeToResolve')[0]!)).toContain('"Unit":"Milliseconds"');
  });

  it('counts a request refused for its signature or token (the wrong-secret alarm), and logs its likely cause', async () => {
    const handler = await bridge.loadHandler('../../functions/slack-events/handler');
    // The handler's own logger (loadHandler loaded its modules anew), at the level that shows warnings.
    (await import('../../shared/platform/logger')).logger.setLogLevel('WARN');
    const lines: string[] = [];
    // The metric goes to stdout, the warning (Powertools logs WARN on stderr) beside it.
    const capture = (chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    };
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
    try {
      const response = await handler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('hi', { threadTs: '1.2' }))), { secret: 'not-the-signing-secret' }));
      expect(response.statusCode).toBe(401);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ RequestsRefused: 1 })]);
    const rejected = lines.find((line) => line.includes('request rejected'))!;
    expect(JSON.parse(rejected)).toMatchObject({ reason: 'slack signature: signature_mismatch', likelyCause: expect.stringContaining('slackSigningSecret') as string });

    const botpressHandler = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
    const refused = await emittedMetrics(() => botpressHandler(botpressRequest('/botpress/handoff', { conversationId: 'c', userId: 'u', summary: 's' }, 'wrong-token')));
    expect(refused).toEqual([expect.objectContaining({ RequestsRefused: 1 })]);
  });
});

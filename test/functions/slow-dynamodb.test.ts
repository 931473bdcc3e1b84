import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HttpResponse } from '../../shared/platform/http';
import { settingsEnvironment } from '../../shared/platform/settings';
import { CLAIM_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT, eventCallback, threadReply } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { startPausableProxy, type PausableProxy } from '../support/pausable-proxy';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * DynamoDB frozen (a process stopped, its port still taking connections):
 * Slack still gets its answer inside its 3 s. The functions' client gives
 * up on each attempt after 1 s and retries, which alone would take 3 s and more.
 */
let bridge: BridgeHarness;
let dynamo: PausableProxy;
let slack: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  dynamo = await startPausableProxy(bridge.dynamo.endpoint);
  for (const [name, value] of Object.entries(settingsEnvironment({ dynamodbEndpoint: dynamo.endpoint }))) vi.stubEnv(name, value);
  slack = await bridge.loadHandler('../../functions/slack-events/handler');
});
afterAll(async () => {
  dynamo.resume();
  await dynamo.close();
  await bridge.close();
});

/** The answer and how long it took: what Slack waits for. */
async function timed(request: Promise<HttpResponse>): Promise<{ statusCode: number; ms: number }> {
  const started = performance.now();
  const { statusCode } = await request;
  return { statusCode, ms: performance.now() - started };
}

describe('with DynamoDB frozen for 5 s', () => {
  it('answers an agent’s reply within Slack’s 3 s with a 503, and the retry Slack sends is delivered once', async () => {
    await seedHandoff(bridge.store, 'conv-frozen-reply', '1718000000.000001');
    const event = JSON.stringify(eventCallback(threadReply('Are you still there?', { threadTs: '1718000000.000001' })));
    dynamo.pause();
    const unfreeze = setTimeout(() => dynamo.resume(), 5_000);
    try {
      const first = await timed(slack(signedSlackRequest(event)));
      expect(first.statusCode).toBe(503);
      expect(first.ms).toBeLessThan(2_900);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 5_100));
      clearTimeout(unfreeze);
    }
    expect((await slack(signedSlackRequest(event, { retryNum: 1 }))).statusCode).toBe(200);
    await bridge.runDeliveries();
    // Of this conversation: the other test's press, confirmed late, may reach Botpress in the same run.
    const delivered = (bridge.botpress.deliveredBodies() as { conversationId: string }[]).filter((body) => body.conversationId === 'conv-frozen-reply');
    expect(delivered).toEqual([expect.objectContaining({ type: 'agent_message', conversationId: 'conv-frozen-reply', text: 'Are you still there?' })]);
  }, 20_000);

  it('answers a button press within 3 s with a 200, and tells whoever pressed, privately, to press again if the card does not change', async () => {
    await seedHandoff(bridge.store, 'conv-frozen-press', '1718000000.000002');
    bridge.slack.responses.length = 0;
    dynamo.pause();
    try {
      const pressed = await timed(
        slack(
          signedSlackRequest(buttonPress({ actionId: CLAIM_ACTION_ID, value: 'conv-frozen-press', user: AGENT, messageTs: '1718000000.000002', responseUrl: bridge.slack.responseUrl() }), {
            path: '/slack/interactions',
            contentType: 'application/x-www-form-urlencoded',
          }),
        ),
      );
      expect(pressed.statusCode).toBe(200);
      expect(pressed.ms).toBeLessThan(2_900);
      expect(bridge.slack.responses.map((response) => response.body)).toEqual([
        { response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('could not be confirmed in time. If the card has not changed in a moment, press it again.') as string },
      ]);
    } finally {
      dynamo.resume();
    }
  });
});

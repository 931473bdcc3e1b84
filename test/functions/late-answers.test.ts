import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../shared/platform/http';
import { SUPPORT_CHANNEL_ID, seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';

/*
 * Slack takes a post and answers after the client has given up (a timeout,
 * a lost connection). The next attempt finds the post by the id in its
 * metadata rather than making it twice.
 */
let bridge: BridgeHarness;
let botpress: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  botpress = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
});
afterAll(() => bridge.close());
beforeEach(async () => {
  bridge.slack.lateAnswers.clear();
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
});

const call = async (path: string, body: unknown) => JSON.parse((await botpress(botpressRequest(path, body))).body!) as Record<string, unknown>;
const retryDelay = () => new Promise((resolve) => setTimeout(resolve, 2_100));

describe('a post Slack took without answering in time', () => {
  it('is a customer message posted once: the retry finds it in the thread', async () => {
    await seedHandoff(bridge.store, 'conv-late-post', '1718100000.000001');
    expect(await call('/botpress/message', { conversationId: 'conv-late-post', text: 'Posted once, please', messageId: 'late-1' })).toEqual({ handoffActive: true });
    // Past the delivery function's 3 s for a Slack call.
    bridge.slack.lateAnswers.set('chat.postMessage', 3_500);
    await bridge.runDeliveries();
    bridge.slack.lateAnswers.clear();
    await retryDelay();
    await bridge.runDeliveries();

    expect(bridge.slack.messages.filter((message) => message.text === 'Posted once, please')).toHaveLength(1);
    expect(bridge.slack.callsTo('conversations.replies')).toEqual([expect.objectContaining({ args: expect.objectContaining({ channel: SUPPORT_CHANNEL_ID, ts: '1718100000.000001', include_all_metadata: 'true' }) as object })]);
    // Nothing was given up: the bot hears of no failure.
    expect(bridge.botpress.deliveredBodies()).toEqual([]);
  }, 15_000);

  it('is a card posted once: the queued card finds the one the bot’s request posted, and the handoff opens on it', async () => {
    const before = bridge.slack.messages.length;
    // Past the Botpress-callbacks function's 1.5 s for a Slack call: the card is queued for the delivery function.
    bridge.slack.lateAnswers.set('chat.postMessage', 2_000);
    const opened = await call('/botpress/handoff', { conversationId: 'conv-late-card', userId: 'bp-user', summary: 'Card posted once', transcript: [{ role: 'user', text: 'hello' }] });
    bridge.slack.lateAnswers.clear();
    expect(opened).toMatchObject({ status: 'queued' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await bridge.runDeliveries();

    const cards = bridge.slack.messages.slice(before).filter((message) => message.channel === SUPPORT_CHANNEL_ID && message.threadTs === undefined);
    expect(cards).toHaveLength(1);
    const handoff = await bridge.store.findThreadOf('conv-late-card');
    expect(handoff).toMatchObject({ state: 'open', threadTs: cards[0]!.ts });
    // The transcript follows in that thread.
    expect(bridge.slack.messages.filter((message) => message.threadTs === cards[0]!.ts).map((message) => message.text)).toEqual([expect.stringContaining('hello')]);
  }, 15_000);
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT, eventCallback, threadReply } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { SUPPORT_CHANNEL_ID, startHttpBridge, type BridgeHarness, type HttpHandler } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

/* Queues and their channels (SLACK_QUEUE_CHANNELS) through the real handlers: where a handoff opens, and that everything about it stays there. */
const BILLING = 'C0BILLING1';
let bridge: BridgeHarness;
let slackHandler: HttpHandler;
let botpressHandler: HttpHandler;
let n = 0;

beforeAll(async () => {
  ({ bridge, slackHandler, botpressHandler } = await startHttpBridge({ SLACK_QUEUE_CHANNELS: `billing=${BILLING},tech=C0TECH0001` }));
});
afterAll(() => bridge.close());
beforeEach(async () => {
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
  bridge.botpress.delivered.length = 0;
  bridge.slack.failing.clear();
});

const botpress = async (path: string, body: Record<string, unknown>) => {
  const response = await botpressHandler(botpressRequest(path, body));
  return { status: response.statusCode, body: JSON.parse(response.body!) as Record<string, unknown> };
};
const open = (queue?: string) => {
  const conversationId = `conv-q-${(n += 1)}`;
  return botpress('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Double charge', transcript: [{ role: 'user', text: 'I was charged twice' }], ...(queue === undefined ? {} : { queue }) }).then((answer) => ({ conversationId, ...answer }));
};
const cardOf = (conversationId: string) => bridge.slack.callsTo('chat.postMessage').find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId));

describe('queues and their channels', () => {
  it('opens a handoff in its queue’s channel, names the queue on the card, and keeps everything about it there: transcript, customer messages, replies, Claim', async () => {
    const { conversationId, body } = await open('Billing');
    expect(body).toMatchObject({ status: 'created', channelId: BILLING });
    const threadTs = body.threadTs as string;
    expect(JSON.stringify(cardOf(conversationId)!.args.blocks)).toContain('*Queue*\\nbilling');
    expect(cardOf(conversationId)!.args.channel).toBe(BILLING);

    await botpress('/botpress/message', { conversationId, text: 'Any news?' });
    expect((await slackHandler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('Looking now', { threadTs, channel: BILLING })))))).statusCode).toBe(200);
    const press = buttonPress({ actionId: CLAIM_ACTION_ID, value: conversationId, user: AGENT, messageTs: threadTs, channel: BILLING });
    expect((await slackHandler(signedSlackRequest(press, { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }))).statusCode).toBe(200);
    await bridge.runDeliveries();

    const inThread = bridge.slack.calls.filter((call) => call.args.thread_ts === threadTs || call.args.ts === threadTs);
    expect(inThread.length).toBeGreaterThanOrEqual(3);
    expect(new Set(inThread.map((call) => call.args.channel))).toEqual(new Set([BILLING]));
    expect(bridge.botpress.deliveredBodies()).toEqual([
      expect.objectContaining({ type: 'agent_message', text: 'Looking now', channelId: BILLING, conversationId }),
      expect.objectContaining({ type: 'agent_assigned', channelId: BILLING, conversationId }),
    ]);
  });

  it('opens a handoff without a queue, or with one that has no channel, in the support channel; the card names the queue asked for', async () => {
    const plain = await open();
    expect(plain.body).toMatchObject({ status: 'created', channelId: SUPPORT_CHANNEL_ID });
    expect(JSON.stringify(cardOf(plain.conversationId)!.args.blocks)).not.toContain('*Queue*');
    const unknown = await open('refunds');
    expect(unknown.body).toMatchObject({ status: 'created', channelId: SUPPORT_CHANNEL_ID });
    expect(JSON.stringify(cardOf(unknown.conversationId)!.args.blocks)).toContain('*Queue*\\nrefunds _(no channel of its own: sent here)_');
  });

  it('posts a card queued while Slack was busy in its queue’s channel too', async () => {
    bridge.slack.failing.set('chat.postMessage', 'ratelimited');
    const { conversationId, body } = await open('tech');
    expect(body).toMatchObject({ status: 'queued' });
    bridge.slack.failing.clear();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await bridge.runDeliveries();
    // Every attempt at the card, the one Slack refused and the one the delivery function made: the stand-in records both.
    const attempts = bridge.slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId));
    expect(attempts.map((call) => call.args.channel)).toEqual(['C0TECH0001', 'C0TECH0001']);
  });

  it('answers 400 naming the field for a queue that is no short name', async () => {
    const answer = await botpress('/botpress/handoff', { conversationId: 'conv-q-bad', userId: 'u', summary: 's', queue: 'billing team!' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('queue');
  });
});

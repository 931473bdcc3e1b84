import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOT_UNREACHABLE_NOTICE } from '../../shared/agent-controls';
import { NOT_CONNECTED_NOTICE } from '../../shared/agent-replies';
import type { HttpResponse } from '../../shared/http';
import { BOTPRESS_TIMEOUT_MS } from '../../shared/runtime';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/cards';
import { AGENT, APP_ID, BRIDGE_BOT_ID, BRIDGE_BOT_USER, eventCallback, nextTs, threadReply } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { SUPPORT_CHANNEL_ID, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

let bridge: BridgeHarness;
let slackHandler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let botpressHandler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let n = 0;
const SECOND_AGENT = 'U0SECONDAG';

beforeAll(async () => {
  bridge = await startBridgeHarness();
  botpressHandler = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
  slackHandler = await bridge.loadHandler('../../functions/slack-events/handler');
  bridge.slack.users.set(AGENT, { display_name: 'Maya' });
});
afterAll(() => bridge.close());
beforeEach(() => {
  bridge.botpress.status = 200;
  bridge.botpress.beforeAnswer = undefined;
  bridge.botpress.delivered.length = 0;
  bridge.botpress.received.length = 0;
  bridge.slack.calls.length = 0;
});

const botpress = async (path: string, body: unknown) => JSON.parse((await botpressHandler(botpressRequest(path, body))).body!) as Record<string, unknown>;

async function openHandoff(extra: Record<string, unknown> = {}) {
  const conversationId = `conv-ctl-${(n += 1)}`;
  const opened = await botpress('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Needs help with billing', customer: { name: 'Jane Doe' }, ...extra });
  bridge.slack.calls.length = 0;
  return { conversationId, threadTs: opened.threadTs as string };
}

const press = (actionId: string, conversationId: string, threadTs: string, user = AGENT) =>
  slackHandler(
    signedSlackRequest(buttonPress({ actionId, value: conversationId, user, messageTs: threadTs }), {
      path: '/slack/interactions',
      contentType: 'application/x-www-form-urlencoded',
    }),
  );

const cardUpdates = () => bridge.slack.callsTo('chat.update').map((call) => JSON.stringify(call.args.blocks));

/** Resolves once `condition` holds (checked every few milliseconds), or after longer than the bridge waits for Botpress. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited <= BOTPRESS_TIMEOUT_MS && !condition(); waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('Claim', () => {
  it('shows who claimed the card and tells Botpress, once', async () => {
    const { conversationId, threadTs } = await openHandoff();
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);

    expect(bridge.botpress.deliveredBodies()).toEqual([
      { type: 'agent_assigned', conversationId, userId: AGENT, agentName: 'Maya', channelId: SUPPORT_CHANNEL_ID, threadTs },
    ]);
    expect(bridge.slack.callsTo('chat.update')[0]?.args).toMatchObject({ channel: SUPPORT_CHANNEL_ID, ts: threadTs });
    const [card] = cardUpdates();
    expect(card).toContain(`Claimed by <@${AGENT}>`);
    expect(card).not.toContain(CLAIM_ACTION_ID);
    expect(card).toContain(RESOLVE_ACTION_ID);

    // Pressed again: nothing changes, Botpress hears nothing more.
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    expect(bridge.botpress.delivered).toHaveLength(1);
    expect(bridge.slack.callsTo('chat.update')).toHaveLength(1);
  });

  it('shows the claim on the card while Botpress is told, not after it answered', async () => {
    const { conversationId, threadTs } = await openHandoff();
    // Botpress answers only once the card shows the claim; done one after the other, the card would wait for Botpress
    // and Botpress for the card until the webhook timed out, and the claim would be undone.
    bridge.botpress.beforeAnswer = () => until(() => bridge.slack.callsTo('chat.update').length > 0);
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'agent_assigned', conversationId }]);
    expect((await bridge.store.findByConversation(conversationId))?.claimedBy).toBe(AGENT);
    expect(cardUpdates()).toHaveLength(1);
  });

  it('changes state once when two agents press at the same moment', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const responses = await Promise.all([AGENT, SECOND_AGENT, AGENT, SECOND_AGENT].map((user) => press(CLAIM_ACTION_ID, conversationId, threadTs, user)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(bridge.botpress.delivered).toHaveLength(1);
    expect(bridge.slack.callsTo('chat.update')).toHaveLength(1);
    expect((await bridge.store.findByConversation(conversationId))?.claimedBy).toBe((bridge.botpress.deliveredBodies()[0] as { userId: string }).userId);
  });

  it('undoes the claim and asks the agent to press again when Botpress is down', async () => {
    const { conversationId, threadTs } = await openHandoff();
    bridge.botpress.status = 503;
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    expect((await bridge.store.findByConversation(conversationId))?.claimedBy).toBeUndefined();
    // The card showed the claim while Botpress was being told, and shows the handoff unclaimed again.
    const [claimed, restored] = cardUpdates();
    expect(claimed).toContain(`Claimed by <@${AGENT}>`);
    expect(restored).toContain(CLAIM_ACTION_ID);
    expect(restored).not.toContain('Claimed by');
    expect(cardUpdates()).toHaveLength(2);
    expect(bridge.slack.callsTo('chat.postEphemeral')).toEqual([
      expect.objectContaining({ args: { channel: SUPPORT_CHANNEL_ID, user: AGENT, thread_ts: threadTs, text: BOT_UNREACHABLE_NOTICE } }),
    ]);

    bridge.botpress.status = 200;
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'agent_assigned', conversationId }]);
  });
});

describe('Resolve', () => {
  it('closes the handoff, updates the card, tells Botpress once, and the bot re-engages', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const responses = await Promise.all([press(RESOLVE_ACTION_ID, conversationId, threadTs), press(RESOLVE_ACTION_ID, conversationId, threadTs, SECOND_AGENT)]);
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);

    const resolved = bridge.botpress.deliveredBodies();
    expect(resolved).toHaveLength(1);
    const resolver = (resolved[0] as { userId: string }).userId;
    expect(resolved[0]).toEqual({ type: 'handoff_resolved', conversationId, userId: resolver, channelId: SUPPORT_CHANNEL_ID, threadTs });
    expect(cardUpdates()).toHaveLength(1);
    expect(cardUpdates()[0]).toContain(`Resolved by <@${resolver}>`);
    expect(cardUpdates()[0]).not.toContain(RESOLVE_ACTION_ID);

    // The customer's next message goes back to the bot.
    expect(await botpress('/botpress/message', { conversationId, text: 'thanks!' })).toEqual({ handoffActive: false });
    // A later agent reply in the thread reaches no one, and the agent is told so.
    bridge.slack.calls.length = 0;
    await slackHandler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('one more thing', { threadTs })))));
    expect(bridge.botpress.delivered).toHaveLength(1);
    expect(bridge.slack.callsTo('chat.postEphemeral')[0]?.args.text).toBe(NOT_CONNECTED_NOTICE);
  });

  it('reopens and asks the agent to press again when Botpress is down', async () => {
    const { conversationId, threadTs } = await openHandoff();
    bridge.botpress.status = 500;
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    expect(await botpress('/botpress/message', { conversationId, text: 'still there?' })).toEqual({ handoffActive: true });
    expect(bridge.slack.callsTo('chat.postEphemeral')[0]?.args.text).toBe(BOT_UNREACHABLE_NOTICE);
    // The card showed it resolved while Botpress was being told, and shows it open again; the thread was told nothing.
    const [resolved, reopened] = cardUpdates();
    expect(resolved).toContain(`Resolved by <@${AGENT}>`);
    expect(reopened).toContain(RESOLVE_ACTION_ID);
    expect(cardUpdates()).toHaveLength(2);
    expect(bridge.slack.callsTo('chat.postMessage').filter((call) => String(call.args.text).includes('resolved this handoff'))).toEqual([]);

    bridge.botpress.status = 200;
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'handoff_resolved', conversationId }]);
  });
});

describe('POST /slack/interactions', () => {
  it('rejects a wrong signature with 401 and changes nothing', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const event = signedSlackRequest(buttonPress({ actionId: RESOLVE_ACTION_ID, value: conversationId, user: AGENT, messageTs: threadTs }), {
      path: '/slack/interactions',
      contentType: 'application/x-www-form-urlencoded',
      secret: 'forged',
    });
    expect((await slackHandler(event)).statusCode).toBe(401);
    expect((await bridge.store.findByConversation(conversationId))?.state).toBe('open');
  });

  it.each([
    ['no payload field', 'foo=bar', 'body must be form-encoded with a "payload" field'],
    ['a payload that is not JSON', 'payload=%7Bnope', 'payload is not valid JSON'],
  ])('answers 400 to %s', async (_case, body, problem) => {
    const response = await slackHandler(signedSlackRequest(body, { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!)).toEqual({ error: 'bad_request', problems: [problem] });
  });

  it.each([
    ['another interaction type', `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', user: { id: AGENT } }))}`],
    ['a button the bridge does not own', buttonPress({ actionId: 'someone_elses_button', value: 'x', user: AGENT, messageTs: '1.1' })],
  ])('acknowledges %s with 200 and does nothing', async (_case, body) => {
    const response = await slackHandler(signedSlackRequest(body, { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }));
    expect(response.statusCode).toBe(200);
    expect(bridge.slack.calls).toHaveLength(0);
    expect(bridge.botpress.received).toHaveLength(0);
  });
});

describe('never a loop', () => {
  it('forwards none of what the bridge itself posted, in the shapes Slack echoes it', async () => {
    // Prepare: a whole handoff, so that the bridge posts every kind of message it can.
    const { conversationId, threadTs } = await openHandoff({ transcript: [{ role: 'user', text: 'hello' }] });
    await botpress('/botpress/handoff', { conversationId: `${conversationId}-b`, userId: 'u', summary: 's', transcript: [{ role: 'bot', text: 'hi' }] });
    await botpress('/botpress/message', { conversationId, text: 'customer message' });
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    await botpress('/botpress/end', { conversationId, reason: 'user_ended' });
    bridge.botpress.delivered.length = 0;
    bridge.botpress.received.length = 0;

    const echoes = bridge.slack.calls
      .filter((call) => call.method === 'chat.postMessage' || call.method === 'chat.update')
      .map((call) => {
        const ts = nextTs();
        const args = call.args as { channel: string; text: string; thread_ts?: string; username?: string; ts?: string };
        if (call.method === 'chat.update') {
          return { type: 'message', subtype: 'message_changed', hidden: true, channel: args.channel, ts, event_ts: ts, message: { type: 'message', user: BRIDGE_BOT_USER, bot_id: BRIDGE_BOT_ID, app_id: APP_ID, text: args.text, ts: args.ts } };
        }
        const thread = args.thread_ts ? { thread_ts: args.thread_ts } : {};
        return args.username
          ? { type: 'message', subtype: 'bot_message', username: args.username, bot_id: BRIDGE_BOT_ID, app_id: APP_ID, text: args.text, channel: args.channel, ts, event_ts: ts, ...thread }
          : { type: 'message', user: BRIDGE_BOT_USER, bot_id: BRIDGE_BOT_ID, app_id: APP_ID, text: args.text, channel: args.channel, ts, event_ts: ts, ...thread };
      });
    expect(echoes.length).toBeGreaterThanOrEqual(6);

    // Act: Slack sends each post back as a message event.
    const responses = await Promise.all(echoes.map((echo) => slackHandler(signedSlackRequest(JSON.stringify(eventCallback(echo))))));

    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual(echoes.map(() => 200));
    expect(bridge.botpress.received).toHaveLength(0);
  });
});

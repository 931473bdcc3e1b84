import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOT_CONNECTED_NOTICE } from '../../shared/slack/render/notices';
import type { HttpResponse } from '../../shared/platform/http';
import { CLAIM_ACTION_ID, RELEASE_ACTION_ID, RESOLVE_ACTION_ID, TAKE_OVER_ACTION_ID } from '../../shared/slack/render/cards';
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
beforeEach(async () => {
  bridge.botpress.status = 200;
  await bridge.runDeliveries();
  bridge.botpress.delivered.length = 0;
  bridge.botpress.received.length = 0;
  bridge.slack.calls.length = 0;
  bridge.slack.responses.length = 0;
});

const botpress = async (path: string, body: unknown) => JSON.parse((await botpressHandler(botpressRequest(path, body))).body!) as Record<string, unknown>;

async function openHandoff(extra: Record<string, unknown> = {}) {
  const conversationId = `conv-ctl-${(n += 1)}`;
  const opened = await botpress('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Needs help with billing', customer: { name: 'Jane Doe' }, ...extra });
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
  return { conversationId, threadTs: opened.threadTs as string };
}

const press = (actionId: string, conversationId: string, threadTs: string, user = AGENT) =>
  slackHandler(
    signedSlackRequest(buttonPress({ actionId, value: conversationId, user, messageTs: threadTs, responseUrl: bridge.slack.responseUrl() }), {
      path: '/slack/interactions',
      contentType: 'application/x-www-form-urlencoded',
    }),
  );

const cardUpdates = () => bridge.slack.callsTo('chat.update').map((call) => JSON.stringify(call.args.blocks));

describe('Claim', () => {
  it('answers at once, then shows who claimed the card and tells Botpress, once', async () => {
    const { conversationId, threadTs } = await openHandoff();
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    // Answered before Botpress or Slack were called: both are the delivery function's.
    expect(bridge.botpress.received).toHaveLength(0);
    expect(bridge.slack.calls).toHaveLength(0);
    expect((await bridge.store.findThreadOf(conversationId))?.claimedBy).toBe(AGENT);

    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toEqual([
      { type: 'agent_assigned', eventId: expect.stringMatching(new RegExp(`^claim:${SUPPORT_CHANNEL_ID}:${threadTs}:${AGENT}:\\d+$`)) as string, conversationId, userId: AGENT, agentName: 'Maya', channelId: SUPPORT_CHANNEL_ID, threadTs },
    ]);
    expect(bridge.slack.callsTo('chat.update')[0]?.args).toMatchObject({ channel: SUPPORT_CHANNEL_ID, ts: threadTs });
    const [card] = cardUpdates();
    expect(card).toContain(`Claimed by <@${AGENT}>`);
    expect(card).not.toContain(CLAIM_ACTION_ID);
    expect(card).toContain(RESOLVE_ACTION_ID);
    // Claimed: its holder can give it back, a colleague take it over (after Slack asks them to confirm).
    expect(card).toContain(RELEASE_ACTION_ID);
    expect(card).toContain(TAKE_OVER_ACTION_ID);
    expect(card).toContain('Take this handoff over?');

    // Pressed again: nothing changes, Botpress hears nothing more.
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(1);
    expect(bridge.slack.callsTo('chat.update')).toHaveLength(1);
  });

  it('changes state once when two agents press at the same moment', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const responses = await Promise.all([AGENT, SECOND_AGENT, AGENT, SECOND_AGENT].map((user) => press(CLAIM_ACTION_ID, conversationId, threadTs, user)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(1);
    expect(bridge.slack.callsTo('chat.update')).toHaveLength(1);
    expect((await bridge.store.findThreadOf(conversationId))?.claimedBy).toBe((bridge.botpress.deliveredBodies()[0] as { userId: string }).userId);
  });

  it('tells whoever pressed, privately, why a press changed nothing: claimed already, by them or another, resolved, or over', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const answers = () => bridge.slack.responses.splice(0).map((response) => response.body);
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    expect(answers()).toEqual([]);
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    await press(CLAIM_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    expect(answers()).toEqual([
      { response_type: 'ephemeral', replace_original: false, text: ':information_source: You have claimed this handoff already.' },
      { response_type: 'ephemeral', replace_original: false, text: `:information_source: <@${AGENT}> has claimed this handoff already: press Take over to take it from them.` },
    ]);
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    await press(RESOLVE_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    await press(CLAIM_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    expect(answers().map((answer) => answer.text)).toEqual([`:information_source: <@${AGENT}> has resolved this handoff already.`, `:information_source: <@${AGENT}> has resolved this handoff already.`]);

    // Ended from the bot's side: the card's buttons are stale.
    const other = await openHandoff();
    await botpress('/botpress/end', { conversationId: other.conversationId });
    await press(CLAIM_ACTION_ID, other.conversationId, other.threadTs);
    expect(answers().map((answer) => answer.text)).toEqual([expect.stringContaining('This handoff is over') as string]);
    // Slack got its 200 each time, and nothing reached Botpress for the presses that changed nothing.
    await bridge.runDeliveries();
    expect((bridge.botpress.deliveredBodies() as { type: string }[]).map((body) => body.type)).toEqual(['agent_assigned', 'handoff_resolved']);
  });

  it('keeps the claim while Botpress is down, and tells Botpress when it is back', async () => {
    const { conversationId, threadTs } = await openHandoff();
    bridge.botpress.status = 503;
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect((await bridge.store.findThreadOf(conversationId))?.claimedBy).toBe(AGENT);
    expect(cardUpdates()[0]).toContain(`Claimed by <@${AGENT}>`);
    expect(bridge.botpress.delivered).toHaveLength(0);

    bridge.botpress.status = 200;
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'agent_assigned', conversationId }]);
  });

  it('undoes the claim and fails the press when the queue cannot take it, so that pressing again works', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const sqs = await import('@aws-sdk/client-sqs');
    const refuse = vi.spyOn(sqs.SQSClient.prototype, 'send').mockRejectedValueOnce(new Error('queue unreachable'));
    try {
      expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(503);
    } finally {
      refuse.mockRestore();
    }
    expect((await bridge.store.findThreadOf(conversationId))?.claimedBy).toBeUndefined();
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'agent_assigned', conversationId }]);
  });
});

describe('Resolve', () => {
  it('closes the handoff, updates the card, tells Botpress once after the replies before it, and the bot re-engages', async () => {
    const { conversationId, threadTs } = await openHandoff();
    await slackHandler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('Anything else? Bye!', { threadTs })))));
    const responses = await Promise.all([press(RESOLVE_ACTION_ID, conversationId, threadTs), press(RESOLVE_ACTION_ID, conversationId, threadTs, SECOND_AGENT)]);
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    await bridge.runDeliveries();

    const [reply, resolved, ...more] = bridge.botpress.deliveredBodies() as { type: string; userId: string }[];
    // The customer reads the agent's goodbye before the bot comes back.
    expect(reply).toMatchObject({ type: 'agent_message', text: 'Anything else? Bye!' });
    expect(more).toEqual([]);
    const resolver = resolved!.userId;
    expect(resolved).toEqual({ type: 'handoff_resolved', eventId: `resolve:${SUPPORT_CHANNEL_ID}:${threadTs}`, conversationId, userId: resolver, channelId: SUPPORT_CHANNEL_ID, threadTs });
    expect(cardUpdates()).toHaveLength(1);
    expect(cardUpdates()[0]).toContain(`Resolved by <@${resolver}>`);
    expect(cardUpdates()[0]).toContain('the bot takes the conversation back');
    expect(cardUpdates()[0]).not.toContain(RESOLVE_ACTION_ID);
    // The card says it: nothing is posted in the thread (one post fewer on a channel Slack paces).
    expect(bridge.slack.callsTo('chat.postMessage')).toEqual([]);

    // The customer's next message goes back to the bot.
    expect(await botpress('/botpress/message', { conversationId, text: 'thanks!' })).toEqual({ handoffActive: false });
    // A later agent reply in the thread reaches no one, and the agent is told so.
    bridge.slack.calls.length = 0;
    await slackHandler(signedSlackRequest(JSON.stringify(eventCallback(threadReply('one more thing', { threadTs })))));
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(2);
    expect(bridge.slack.callsTo('chat.postEphemeral')[0]?.args.text).toBe(NOT_CONNECTED_NOTICE);
  });

  it('tells Botpress of a Resolve once it is back, and posts nothing in the thread for it either way', async () => {
    const { conversationId, threadTs } = await openHandoff();
    bridge.botpress.status = 500;
    await press(RESOLVE_ACTION_ID, conversationId, threadTs);
    await bridge.runDeliveries();
    expect(cardUpdates()[0]).toContain(`Resolved by <@${AGENT}>`);

    bridge.botpress.status = 200;
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ type: 'handoff_resolved', conversationId }]);
    expect(bridge.slack.callsTo('chat.postMessage')).toEqual([]);
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
    expect(bridge.queued().deliveries).toEqual([]);
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
    expect(bridge.queued().deliveries).toEqual([]);
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
    await bridge.runDeliveries();
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
    expect(bridge.queued().deliveries).toEqual([]);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(0);
  });
});

describe('Release and Take over', () => {
  const holder = async (conversationId: string) => (await bridge.store.findThreadOf(conversationId))?.claimedBy;
  const assigned = () => (bridge.botpress.deliveredBodies() as { type: string; userId: string; eventId: string }[]).filter((body) => body.type === 'agent_assigned');

  it('Release gives the handoff back (the card offers Claim again; Botpress is not told: it cannot be), and the next Claim is a new assignment for Botpress', async () => {
    const { conversationId, threadTs } = await openHandoff();
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    await bridge.runDeliveries();
    bridge.slack.calls.length = 0;

    expect((await press(RELEASE_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    expect(await holder(conversationId)).toBeUndefined();
    await bridge.runDeliveries();
    const released = cardUpdates().at(-1)!;
    expect(released).toContain('Waiting for an agent');
    expect(released).toContain(CLAIM_ACTION_ID);
    expect(released).not.toContain(RELEASE_ACTION_ID);
    expect(assigned()).toHaveLength(1);

    await press(CLAIM_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    await bridge.runDeliveries();
    expect(assigned().map((event) => event.userId)).toEqual([AGENT, SECOND_AGENT]);
    expect(new Set(assigned().map((event) => event.eventId)).size).toBe(2);
  });

  it('Take over moves the handoff to the colleague who pressed: the card names them, Botpress hears a new assignment; its holder pressing it, or another Release, changes nothing and says why', async () => {
    const { conversationId, threadTs } = await openHandoff();
    const answers = () => bridge.slack.responses.splice(0).map((response) => (response.body as { text: string }).text);
    await press(CLAIM_ACTION_ID, conversationId, threadTs);
    await bridge.runDeliveries();

    expect((await press(TAKE_OVER_ACTION_ID, conversationId, threadTs, SECOND_AGENT)).statusCode).toBe(200);
    expect(await holder(conversationId)).toBe(SECOND_AGENT);
    await bridge.runDeliveries();
    expect(cardUpdates().at(-1)).toContain(`Claimed by <@${SECOND_AGENT}>`);
    expect(assigned().map((event) => event.userId)).toEqual([AGENT, SECOND_AGENT]);
    expect(answers()).toEqual([]);

    await press(TAKE_OVER_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    await press(RELEASE_ACTION_ID, conversationId, threadTs, AGENT);
    expect(answers()).toEqual([
      ':information_source: This handoff is yours already.',
      `:information_source: <@${SECOND_AGENT}> has this handoff: only they can release it (or press Take over).`,
    ]);
    await press(RELEASE_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    await press(RELEASE_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
    expect(answers()).toEqual([':information_source: Nobody has this handoff: there is nothing to release.']);
    await bridge.runDeliveries();
    expect(assigned()).toHaveLength(2);
  });

  it('a Take over racing the holder’s Release: whichever lands first, the colleague ends up with the handoff, Botpress hears of them once, and nothing is lost', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { conversationId, threadTs } = await openHandoff();
      await press(CLAIM_ACTION_ID, conversationId, threadTs);
      await bridge.runDeliveries();
      bridge.botpress.delivered.length = 0;
      const release = () => press(RELEASE_ACTION_ID, conversationId, threadTs, AGENT);
      const takeOver = () => press(TAKE_OVER_ACTION_ID, conversationId, threadTs, SECOND_AGENT);
      const answered = await Promise.all(round % 2 === 0 ? [release(), takeOver()] : [takeOver(), release()]);
      expect(answered.map((response) => response.statusCode)).toEqual([200, 200]);
      expect(await holder(conversationId)).toBe(SECOND_AGENT);
      await bridge.runDeliveries();
      expect(assigned().map((event) => event.userId)).toEqual([SECOND_AGENT]);
      expect(cardUpdates().at(-1)).toContain(`Claimed by <@${SECOND_AGENT}>`);
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as sdk from '@botpress/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID, TAKE_OVER_ACTION_ID } from '../../shared/slack/render/cards';
import { signSlackRequest } from '../../shared/platform/hmac';
import { AGENT, eventCallback, threadReply } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { startBotpressApiStandIn, type BotpressApiStandIn } from '../../local/botpress-api';
import { startBotpressRuntime, type BotpressRuntime } from '../../local/botpress-runtime';
import { spawnLocalBridge, type LocalBridgeProcess } from '../support/local-bridge-process';
import { postAsSlack } from '../support/slack-requests';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { HITL_PLUGIN, SimulatedHitlPlugin, type HitlSession } from '../../local/hitl-plugin';

/*
 * The integration in botpress/integration, driven through @botpress/sdk's own
 * request handling as Botpress's runtime drives it, against the real bridge
 * (`npm start`'s, in a child process) and a Botpress API stand-in that checks
 * every user, conversation, message and event call against the integration's
 * definition. The HITL plugin is played by local/hitl-plugin.ts, as the real
 * one calls the actions, writes the customer's messages on the hitl channel
 * and takes what the integration writes (first-sender assignment included).
 */
const SIGNING_SECRET = 'slack-signing-secret';
const BRIDGE_TOKEN = 'bridge-api-token';
const BP_SIGNING_SECRET = 'botpress-signing-secret';
const CHANNEL = 'C0INTEGRAT';
const BILLING_CHANNEL = 'C0BILLING1';
const INSTALLATION = { botId: 'bot_integration_test', botUserId: 'user_bot0000000000000000000000', integrationId: 'intver_slackhitl', webhookId: 'wh_slackhitl' };
const BP_TOKEN = 'bp_token_integration_test';

let slack: SlackStandIn;
let api: BotpressApiStandIn;
let runtime: BotpressRuntime;
let bridge: LocalBridgeProcess;
let plugin: SimulatedHitlPlugin;

beforeAll(async () => {
  const definition = (await import('../../botpress/integration/integration.definition')).default as unknown as sdk.IntegrationDefinition;
  [slack, api] = await Promise.all([startSlackStandIn(), startBotpressApiStandIn({ definition, token: BP_TOKEN, botId: INSTALLATION.botId, integrationId: INSTALLATION.integrationId })]);
  slack.users.set(AGENT, { display_name: 'Maya', image_192: 'https://avatars.slack-edge.com/2026-01-01/maya_192.png' });
  // Where the SDK's client finds Botpress's API, as the runtime sets it for an integration.
  vi.stubEnv('BP_API_URL', api.url);
  vi.stubEnv('BP_TOKEN', BP_TOKEN);
  const integration = (await import('../../botpress/integration/src/index')).default;
  // The bridge's URL is known once it runs; the configuration is read per request, so it is filled in below.
  const configuration: Record<string, unknown> = { bridgeToken: BRIDGE_TOKEN, signingSecret: BP_SIGNING_SECRET };
  runtime = await startBotpressRuntime(integration, { ...INSTALLATION, configuration });
  bridge = await spawnLocalBridge({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-integration',
    SLACK_SUPPORT_CHANNEL_ID: CHANNEL,
    SLACK_QUEUE_CHANNELS: `billing=${BILLING_CHANNEL}`,
    SLACK_API_URL: slack.apiUrl,
    BOTPRESS_WEBHOOK_URL: runtime.webhookUrl,
    BOTPRESS_WEBHOOK_SECRET: 'unused-by-the-integration',
    BOTPRESS_SIGNING_SECRET: BP_SIGNING_SECRET,
    BRIDGE_API_TOKEN: BRIDGE_TOKEN,
    BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-integration-')),
  });
  configuration.bridgeUrl = `${bridge.url}/botpress`;
  plugin = new SimulatedHitlPlugin(runtime, api);
}, 60_000);

afterAll(async () => {
  plugin?.close();
  vi.unstubAllEnvs();
  await bridge?.stop();
  await Promise.all([runtime?.close(), api?.close(), slack?.close()]);
});

const pick = (record: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((key) => [key, record[key]!]));
const eventually = (assertion: () => void, timeout = 15_000) => vi.waitFor(assertion, { timeout, interval: 20 });

const fromSlack = (route: 'events' | 'interactions', body: string, retryNum?: number) => postAsSlack(bridge.url, SIGNING_SECRET, route, body, retryNum);
const agentReply = (threadTs: string, text: string) => fromSlack('events', JSON.stringify(eventCallback(threadReply(text, { threadTs, channel: CHANNEL }))));
const press = (actionId: string, conversationId: string, threadTs: string, user = AGENT) =>
  fromSlack('interactions', buttonPress({ actionId, value: conversationId, user, messageTs: threadTs, channel: CHANNEL }));

let sessions = 0;

/** The plugin starting a session for a webchat user (what it does not know of them, it makes up), with the conversation so far. */
async function startSession(name: string | undefined, email: string | undefined = 'jane@example.com', through = plugin): Promise<HitlSession & { threadTs: string }> {
  const session = await through.start(
    { id: `user_webchat_${(sessions += 1)}`, name, email },
    {
      title: 'Refund for a double charge',
      description: 'The customer was charged twice for order 1234.',
      history: [
        { from: 'customer', text: 'I was charged twice' },
        { from: 'bot', text: 'Let me get you a person.' },
      ],
    },
  );
  return Object.assign(session, { threadTs: await threadOf(session.conversationId) });
}

/** The session's thread: asked of the bridge as a second handoff for the same conversation would (it answers already_open). */
async function threadOf(conversationId: string): Promise<string> {
  const response = await fetch(`${bridge.url}/botpress/handoff`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BRIDGE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ conversationId, userId: 'check', summary: 'check' }),
  });
  const answer = (await response.json()) as { status: string; threadTs: string };
  expect(answer.status).toBe('already_open');
  return answer.threadTs;
}

/** An event as the bridge signs it, straight to the integration's webhook. */
function sendAsBridge(event: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(runtime.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bridge-request-timestamp': String(timestamp), 'x-bridge-signature': signSlackRequest(BP_SIGNING_SECRET, timestamp, body) },
    body,
  });
}

/** The customer writing in the webchat, relayed by the HITL plugin as it really does: the bot's message, the customer in payload.userId. */
const customerWrites = (session: HitlSession, text: string, messageId: string) => plugin.customerWrites(session, { type: 'text', payload: { text }, messageId });

describe('the Botpress integration (hitl interface) through the bridge', () => {
  it('a session: card and transcript in Slack, the customer in the thread, the agent in the conversation once, Claim → hitlAssigned, Resolve → hitlStopped', async () => {
    const callsBefore = api.calls.length;
    const session = await startSession('Jane Doe');
    const { conversationId, threadTs } = session;
    expect(api.conversations.find((conversation) => conversation.id === conversationId)).toMatchObject({ channel: 'hitl', integration: 'slack-hitl-bridge' });
    const inThread = () => slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threadTs);
    await eventually(() => expect(inThread()[0]?.args.text).toContain('*Customer:* I was charged twice'));
    const card = slack.callsTo('chat.postMessage').find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId))!;
    expect(JSON.stringify(card.args.blocks)).toContain('Jane Doe (jane@example.com)');
    expect(JSON.stringify(card.args.blocks)).toContain('Refund for a double charge');

    expect((await customerWrites(session, 'Is anyone there?', 'msg_customer_1')).status).toBe(200);
    await eventually(() => expect(inThread().at(-1)?.args).toMatchObject({ text: 'Is anyone there?', username: 'Jane Doe (customer)' }));

    const reply = eventCallback(threadReply('Hi Jane, I am on it', { threadTs, channel: CHANNEL }));
    expect(await fromSlack('events', JSON.stringify(reply))).toBe(200);
    await eventually(() => expect(api.messagesIn(conversationId)).toHaveLength(1));
    const [shown] = api.messagesIn(conversationId);
    const maya = api.users.find((user) => user.id === shown!.userId)!;
    expect(shown).toMatchObject({ type: 'text', payload: { text: 'Hi Jane, I am on it' }, tags: { bridgeEventId: expect.stringContaining(CHANNEL) as string } });
    expect(maya).toMatchObject({ name: 'Maya', pictureUrl: 'https://avatars.slack-edge.com/2026-01-01/maya_192.png', tags: { slackUserId: AGENT } });

    // The same event delivered again (as after a lost answer): the conversation still shows it once.
    // Counted once every request the webhook took has been answered (the message exists a moment before the answer).
    await eventually(() => expect(runtime.webhookAnswers).toHaveLength(runtime.webhookRequests.length));
    const delivered = runtime.webhookAnswers.length;
    expect(await fromSlack('events', JSON.stringify({ ...reply, event_id: 'Ev0RESENT001' }))).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runtime.webhookAnswers.length).toBe(delivered);
    // And the bridge's very request arriving twice (the bridge retries when it cannot know Botpress took it): once still.
    const sent = runtime.webhookRequests.find((request) => request.body.includes('Hi Jane, I am on it'))!;
    const replay = await fetch(runtime.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...pick(sent.headers, ['x-bridge-request-timestamp', 'x-bridge-signature']) }, body: sent.body });
    expect(replay.status).toBe(200);
    expect(api.messagesIn(conversationId)).toHaveLength(1);

    expect(await press(CLAIM_ACTION_ID, conversationId, threadTs)).toBe(200);
    await eventually(() => expect(api.events.filter((event) => event.conversationId === conversationId).map((event) => [event.type, event.payload])).toEqual([['hitlAssigned', { conversationId, userId: maya.id }]]));

    expect(await press(RESOLVE_ACTION_ID, conversationId, threadTs)).toBe(200);
    await eventually(() => expect(api.events.filter((event) => event.conversationId === conversationId).map((event) => event.type)).toEqual(['hitlAssigned', 'hitlStopped']));
    expect(api.calls.slice(callsBefore).filter((call) => call.status !== 200)).toEqual([]);
  });

  it('answers the bridge 503 when the Botpress API fails for a moment, so that the bridge retries, and the reply shows once', async () => {
    const session = await startSession('Jane Doe');
    // Past the SDK's own retries: a 500 on a POST is not one it retries.
    api.failing = { status: 500, type: 'Internal', times: 1 };
    expect(await agentReply(session.threadTs, 'Still on it')).toBe(200);
    await eventually(() => expect(api.messagesIn(session.conversationId).map((message) => message.payload)).toEqual([{ text: 'Still on it' }]));
    expect(api.failing.times).toBe(0);
    api.failing = undefined;
    // The message exists a moment before the webhook's answer is counted.
    await eventually(() => expect(runtime.webhookAnswers.map((answer) => answer.status).slice(-2)).toEqual([503, 200]));
  });

  it('opens a session in its queue’s channel when the Start HITL card names one (hitlSession.queue)', async () => {
    const session = await plugin.start(
      { id: `user_webchat_${(sessions += 1)}`, name: 'Quinn Reyes', email: 'quinn@example.com' },
      { title: 'Invoice question', description: 'Wants an invoice corrected.', history: [], hitlSession: { queue: 'billing' } },
    );
    const card = slack.callsTo('chat.postMessage').find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(session.conversationId))!;
    expect(card.args.channel).toBe(BILLING_CHANNEL);
    expect(JSON.stringify(card.args.blocks)).toContain('*Queue*\\nbilling');
  });

  it('refuses for good an event for a conversation Botpress does not have: 404, not retried', async () => {
    const response = await sendAsBridge({ type: 'handoff_resolved', eventId: 'gone-1', conversationId: 'conv_does_not_exist', userId: AGENT, channelId: CHANNEL, threadTs: '1.1' });
    expect(response.status).toBe(404);
  });

  it('a notice for the customer before anyone claims makes no agent: it waits, once however often sent, and reaches the customer from the agent who claims', async () => {
    const session = await startSession('Lee Chan');
    const notice = { type: 'customer_message_failed', eventId: 'notice-before-claim', conversationId: session.conversationId, reason: 'file_not_accepted', fileName: 'scan.pdf' };
    expect((await sendAsBridge(notice)).status).toBe(200);
    expect((await sendAsBridge(notice)).status).toBe(200);
    // Nothing written in the session: the plugin would have made the writer its agent.
    expect(api.messagesIn(session.conversationId)).toEqual([]);
    expect(session.humanAgentId).toBeUndefined();
    expect(session.upstream).toEqual([]);

    expect(await press(CLAIM_ACTION_ID, session.conversationId, session.threadTs)).toBe(200);
    const maya = () => api.users.find((user) => user.tags.slackUserId === AGENT)!;
    await eventually(() => expect(session.upstream).toHaveLength(2));
    expect(session.humanAgentId).toBe(maya().id);
    expect(session.upstream).toEqual([
      { from: 'bot', text: HITL_PLUGIN.assigned },
      { from: 'agent', author: 'Maya', text: 'Sorry, our support team cannot receive your file scan.pdf here. Please describe in words what it shows.' },
    ]);
    expect(api.messagesIn(session.conversationId).map((message) => message.userId)).toEqual([maya().id]);

    // Once there is an agent, a notice goes at once, as them; the same one again is not shown twice.
    const later = { ...notice, eventId: 'notice-after-claim', reason: undefined, fileName: undefined };
    expect((await sendAsBridge(later)).status).toBe(200);
    expect((await sendAsBridge(later)).status).toBe(200);
    expect(session.upstream.slice(2)).toEqual([{ from: 'agent', author: 'Maya', text: 'Sorry, your last message did not reach our support team. Please send it again.' }]);
  });

  it('a Take over is a new hitlAssigned: the plugin has the colleague as its agent, and the notices after it come as them', async () => {
    const COLLEAGUE = 'U0COLLEAGU';
    slack.users.set(COLLEAGUE, { display_name: 'Omar' });
    const session = await startSession('Pia Holm');
    expect(await press(CLAIM_ACTION_ID, session.conversationId, session.threadTs)).toBe(200);
    await eventually(() => expect(session.humanAgentId).toBeDefined());
    const maya = session.humanAgentId;
    expect(await press(TAKE_OVER_ACTION_ID, session.conversationId, session.threadTs, COLLEAGUE)).toBe(200);
    const omar = () => api.users.find((user) => user.tags.slackUserId === COLLEAGUE)?.id;
    await eventually(() => expect(session.humanAgentId).toBe(omar()));
    expect(session.humanAgentId).not.toBe(maya);
    expect(api.events.filter((event) => event.conversationId === session.conversationId).map((event) => [event.type, event.payload.userId])).toEqual([
      ['hitlAssigned', maya],
      ['hitlAssigned', omar()],
    ]);
    expect((await sendAsBridge({ type: 'customer_message_failed', eventId: 'after-take-over', conversationId: session.conversationId })).status).toBe(200);
    expect(session.upstream.at(-1)).toMatchObject({ from: 'agent', author: 'Omar' });
  });

  it('a handoff that never reached Slack ends the session without a made-up agent: the plugin says it stopped, and nobody “joined”', async () => {
    const session = await startSession('Noor Haddad');
    expect((await sendAsBridge({ type: 'handoff_failed', eventId: 'failed-1', conversationId: session.conversationId })).status).toBe(200);
    expect(session.active).toBe(false);
    expect(session.upstream).toEqual([{ from: 'bot', text: HITL_PLUGIN.stopped }]);
    expect(api.messagesIn(session.conversationId)).toEqual([]);
  });

  it('a notice before anyone claims leaves the plugin’s timeout running: nobody takes the session, it times out, and the thread says it ended', async () => {
    const timing = new SimulatedHitlPlugin(runtime, api, { agentAssignedTimeoutMs: 1_500 });
    try {
      const session = await startSession('Ravi Iyer', undefined, timing);
      expect((await sendAsBridge({ type: 'customer_message_failed', eventId: 'notice-then-timeout', conversationId: session.conversationId })).status).toBe(200);
      await eventually(() => expect(session.upstream).toEqual([{ from: 'bot', text: HITL_PLUGIN.timedOut }]), 5_000);
      expect(session.active).toBe(false);
      expect(session.humanAgentId).toBeUndefined();
      await eventually(() => expect(slack.callsTo('chat.postMessage').some((call) => call.args.thread_ts === session.threadTs && /ended on the bot’s side/i.test(String(call.args.text)))).toBe(true));
    } finally {
      timing.close();
    }
  });

  it("the customer's /end (stopHitl): the thread says the session ended on the bot's side, and a later agent reply is not delivered but noticed", async () => {
    const session = await startSession('Sam Lee');
    expect((await customerWrites(session, '/end', 'msg_sam_end')).status).toBe(200);
    expect(session.upstream).toEqual([{ from: 'bot', text: HITL_PLUGIN.closedByUser }]);
    await eventually(() => expect(slack.callsTo('chat.postMessage').some((call) => call.args.thread_ts === session.threadTs && /ended on the bot’s side/i.test(String(call.args.text)))).toBe(true));
    expect(await agentReply(session.threadTs, 'Still there?')).toBe(200);
    await eventually(() => expect(slack.callsTo('chat.postEphemeral').some((call) => call.args.thread_ts === session.threadTs && /no longer connected/.test(String(call.args.text)))).toBe(true));
    expect(api.messagesIn(session.conversationId)).toEqual([]);
  });

  it('tells the customer’s messages from the plugin’s own texts as the real plugin writes them (the bot’s user, the customer in payload.userId)', async () => {
    const session = await startSession('Ana Lima');
    const inThread = () => slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === session.threadTs);
    expect((await customerWrites(session, 'My order never came', 'msg_ana_1')).status).toBe(200);
    expect((await plugin.pluginText(session, 'Sorry, I can only handle text messages.')).status).toBe(200);
    await eventually(() =>
      expect(inThread().slice(-2).map((call) => call.args.text)).toEqual(['My order never came', '(from the bot) Sorry, I can only handle text messages.']),
    );
  });

  it('shows no made-up customer on the card: the plugin’s “Unknown User” and no-reply address are not the customer’s', async () => {
    const session = await startSession(undefined, undefined);
    const card = slack.callsTo('chat.postMessage').find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(session.conversationId))!;
    const shown = JSON.stringify(card.args.blocks);
    expect(shown).toContain('Website visitor');
    expect(shown).not.toContain('Unknown User');
    expect(shown).not.toContain('no-reply');
  });

  it('tells the plugin the session is over when the customer writes after the handoff ended in Slack', async () => {
    const session = await startSession('Kim Park');
    expect(await press(RESOLVE_ACTION_ID, session.conversationId, session.threadTs)).toBe(200);
    await eventually(() => expect(api.events.filter((event) => event.conversationId === session.conversationId).map((event) => event.type)).toEqual(['hitlStopped']));
    expect((await customerWrites(session, 'One more thing', 'msg_after')).status).toBe(200);
    expect(api.events.filter((event) => event.conversationId === session.conversationId).map((event) => event.type)).toEqual(['hitlStopped', 'hitlStopped']);
  });

  it('refuses a webhook call the bridge did not sign, or signed too long ago, with an opaque 401, creating nothing', async () => {
    const body = JSON.stringify({ type: 'handoff_resolved', eventId: 'x', conversationId: 'conv-never-signed', userId: AGENT, channelId: 'C1', threadTs: '1.1' });
    const before = api.events.length;
    const post = (headers: Record<string, string>) => fetch(runtime.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const stale = Math.floor(Date.now() / 1000) - 600;
    const attempts: Record<string, string>[] = [
      {},
      { 'x-bridge-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-bridge-signature': signSlackRequest('not-the-secret', Math.floor(Date.now() / 1000), body) },
      { 'x-bridge-request-timestamp': String(stale), 'x-bridge-signature': signSlackRequest(BP_SIGNING_SECRET, stale, body) },
    ];
    for (const headers of attempts) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized' });
    }
    expect(api.events.length).toBe(before);
  });
});

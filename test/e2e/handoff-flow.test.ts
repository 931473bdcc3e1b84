import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulatedBotpress } from '../../local/simulated-botpress';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT, eventCallback, threadReply } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { spawnLocalBridge, type LocalBridgeProcess } from '../support/local-bridge-process';
import { postAsSlack } from '../support/slack-requests';
import { startSlackStandIn, type SlackCall, type SlackStandIn } from '../support/slack-stand-in';

const SIGNING_SECRET = 'e2e-signing-secret';
const BRIDGE_TOKEN = 'e2e-bridge-token';
const WEBHOOK_SECRET = 'e2e-webhook-secret';
const CHANNEL = 'C0E2ESUPRT';

let slack: SlackStandIn;
let botpress: SimulatedBotpress;
let bridge: LocalBridgeProcess;

beforeAll(async () => {
  slack = await startSlackStandIn();
  slack.users.set(AGENT, { display_name: 'Maya' });
  botpress = new SimulatedBotpress({ webhookSecret: WEBHOOK_SECRET, env: { bridgeUrl: 'unset', bridgeToken: BRIDGE_TOKEN } });
  const webhookUrl = await botpress.start();
  bridge = await spawnLocalBridge({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SUPPORT_CHANNEL_ID: CHANNEL,
    SLACK_QUEUE_CHANNELS: 'tech=C0TECH0001',
    SLACK_API_URL: slack.apiUrl,
    BOTPRESS_WEBHOOK_URL: webhookUrl,
    BOTPRESS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BOTPRESS_SIGNING_SECRET: 'e2e-signing-secret',
    BRIDGE_API_TOKEN: BRIDGE_TOKEN,
    BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-e2e-')),
  });
  botpress.configure({ bridgeUrl: `${bridge.url}/botpress`, bridgeToken: BRIDGE_TOKEN });
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await Promise.all([botpress?.close(), slack?.close()]);
});

/** Plays Slack: POSTs a body to the bridge with Slack's signature headers. */
const fromSlack = (route: 'events' | 'interactions', body: string, retryNum?: number) => postAsSlack(bridge.url, SIGNING_SECRET, route, body, retryNum);

const agentReply = (threadTs: string, text: string) => fromSlack('events', JSON.stringify(eventCallback(threadReply(text, { threadTs, channel: CHANNEL }))));
const press = (actionId: string, conversationId: string, threadTs: string) =>
  fromSlack('interactions', buttonPress({ actionId, value: conversationId, user: AGENT, messageTs: threadTs, channel: CHANNEL }));

async function handOff(conversationId: string, customerName = 'Jane Doe'): Promise<string> {
  const state = botpress.conversationState(conversationId);
  state.conversation.customerName = customerName;
  state.conversation.SummaryAgent = {
    summary: `Customer ${customerName} cannot log in after a password reset.`,
    transcript: 'User: I cannot log in\nBot: Have you tried resetting your password?\nUser: Yes, still broken. I want a human.',
  };
  const variables = await botpress.runCard('start-handoff', conversationId);
  expect(variables).toMatchObject({ handoffStatus: 'created', handoffActive: true });
  return variables.handoffThreadTs as string;
}

const customerSays = async (conversationId: string, text: string, messageId: string) =>
  (await botpress.runCard('forward-message', conversationId, { preview: text, messageId })).handoffActive;

/** What the bridge does after answering (the delivery function, from the queue) takes a moment: waited for, up to a bound. */
const eventually = (assertion: () => void, timeout = 15_000) => vi.waitFor(assertion, { timeout, interval: 20 });

describe('a whole handoff through the local bridge and the shipped Botpress snippets', () => {
  it('handoff → card → customer message → agent reply → Claim → Resolve → the bot takes over', async () => {
    const conversationId = 'e2e-whole';
    const callsBefore = slack.calls.length;
    const threadTs = await handOff(conversationId);
    // This handoff's card (it names the conversation) and the replies in its thread, whatever other tests posted before.
    const isCard = (call: SlackCall) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId);
    const inThread = () => slack.callsTo('chat.postMessage').filter((call) => call.args.channel === CHANNEL && (call.args.thread_ts === threadTs || isCard(call)));

    // The card, then the transcript as the first reply in its thread.
    await eventually(() => expect(inThread()).toHaveLength(2));
    const [card, transcript] = inThread();
    expect(JSON.stringify(card!.args.blocks)).toContain('Customer Jane Doe cannot log in after a password reset.');
    expect(transcript!.args).toMatchObject({ thread_ts: threadTs, text: expect.stringContaining('*Customer:* Yes, still broken. I want a human.') as string });

    // The customer writes; it appears in the thread under the customer's name.
    expect(await customerSays(conversationId, 'It says my account is locked', 'msg-1')).toBe(true);
    await eventually(() => expect(inThread().at(-1)!.args).toMatchObject({ thread_ts: threadTs, username: 'Jane Doe (customer)', text: 'It says my account is locked' }));

    // The agent answers in Slack; the customer sees it, through the webhook snippet.
    expect(await agentReply(threadTs, 'Hi Jane! I unlocked it, see <https://help.example.com/locked|this page>')).toBe(200);
    await eventually(() => expect(botpress.messagesFor(conversationId)).toEqual(['Maya: Hi Jane! I unlocked it, see this page (https://help.example.com/locked)']));
    expect(botpress.messages.at(-1)!.userId).toBe(botpress.botId);

    expect(await press(CLAIM_ACTION_ID, conversationId, threadTs)).toBe(200);
    await eventually(() => expect(botpress.messagesFor(conversationId).at(-1)).toBe('Maya has joined the conversation.'));

    expect(await press(RESOLVE_ACTION_ID, conversationId, threadTs)).toBe(200);
    await eventually(() => expect(botpress.messagesFor(conversationId).at(-1)).toMatch(/closed this conversation, and I am back/));

    // The card says the bot takes over; the next message is not forwarded.
    await eventually(() => expect(String(slack.callsTo('chat.update').at(-1)?.args.text)).toMatch(/Resolved by/));
    const posts = slack.callsTo('chat.postMessage').length;
    expect(await customerSays(conversationId, 'Thanks, all good now', 'msg-2')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(posts);
    expect(botpress.messagesFor(conversationId)).toHaveLength(3);
    expect(botpress.flowFailures).toEqual([]);
    // What this handoff cost in Slack calls, from the handoff to the resolve (issue 26: Slack paces posts at one a second per channel):
    // the card, the transcript and the customer's message posted; the card updated at Claim and at Resolve; the agent's name looked up once.
    const calls = slack.calls.slice(callsBefore).map((call) => call.method);
    expect(calls.filter((method) => method === 'chat.postMessage')).toHaveLength(3);
    expect(calls.filter((method) => method === 'chat.update')).toHaveLength(2);
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it("carries files both ways: the customer's photo into the thread, the agent's PDF to the customer as a link that opens", async () => {
    const conversationId = 'e2e-files';
    const threadTs = await handOff(conversationId);
    const photo = Buffer.from('\xff\xd8\xff\xe0 the broken box', 'latin1');
    const imageUrl = botpress.hostFile('box.jpg', photo, 'image/jpeg');
    expect((await botpress.runCard('forward-message', conversationId, { type: 'image', payload: { imageUrl }, messageId: 'file-1' })).handoffActive).toBe(true);
    await eventually(() => expect(slack.uploads.filter((upload) => upload.threadTs === threadTs)).toHaveLength(1));
    const [upload] = slack.uploads.filter((entry) => entry.threadTs === threadTs);
    expect(upload).toMatchObject({ filename: 'box.jpg', channel: CHANNEL, initialComment: '*Jane Doe (customer)* sent an image:' });
    expect(upload!.content.equals(photo)).toBe(true);

    const pdf = Buffer.from('%PDF-1.7 the return label');
    slack.files.set('F0E2ELABEL', { name: 'return label.pdf', mimetype: 'application/pdf', content: pdf });
    const share = { ...threadReply('', { threadTs, channel: CHANNEL }), subtype: 'file_share', files: [{ id: 'F0E2ELABEL' }] };
    expect(await fromSlack('events', JSON.stringify(eventCallback(share)))).toBe(200);
    await eventually(() => expect(botpress.messages.filter((message) => message.conversationId === conversationId).map((message) => message.type)).toEqual(['text', 'file']));
    const [said, file] = botpress.messages.filter((message) => message.conversationId === conversationId);
    expect(said!.text).toBe('Maya: sent a file:');
    expect(file!.payload).toMatchObject({ title: 'return label.pdf', fileUrl: expect.stringMatching(new RegExp(`^${bridge.url}/files/F0E2ELABEL/`)) as string });
    // The customer's browser opens the link: the bridge redirects to the file, which is the agent's, byte for byte.
    const opened = await fetch(file!.text);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(Buffer.from(await opened.arrayBuffer()).equals(pdf)).toBe(true);
    expect(botpress.flowFailures).toEqual([]);
  });

  it('sends the conversation’s handoffQueue with the handoff: the card opens in that queue’s channel', async () => {
    const conversationId = 'conv-e2e-queue';
    botpress.conversationState(conversationId).conversation.handoffQueue = ' tech ';
    const variables = await botpress.runCard('start-handoff', conversationId);
    expect(variables).toMatchObject({ handoffStatus: 'created', handoffActive: true });
    const card = slack.callsTo('chat.postMessage').find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId))!;
    expect(card.args.channel).toBe('C0TECH0001');
  });

  it('ends the handoff from the Timeout workflow: the conversation-scoped variables the snippets keep are the same there, and the bot takes over', async () => {
    const conversationId = 'e2e-timeout';
    const threadTs = await handOff(conversationId);
    // The Timeout workflow has workflow variables of its own; the handoff lives in conversation variables.
    botpress.conversationState(conversationId).conversation.handoffEndReason = 'timeout';
    expect((await botpress.runCard('end-handoff', conversationId, {}, { workflow: 'Timeout' })).handoffActive).toBe(false);
    await eventually(() => expect(slack.callsTo('chat.postMessage').some((call) => call.args.thread_ts === threadTs && /timed out/.test(String(call.args.text)))).toBe(true));
    expect(await customerSays(conversationId, 'Hello again', 'timeout-1')).toBe(false);
  });

  it('answers Slack 200 while Botpress is down, and delivers each reply once, in order, when it is back', async () => {
    const conversationId = 'e2e-outage';
    const threadTs = await handOff(conversationId);
    const first = JSON.stringify(eventCallback(threadReply('Are you still there?', { threadTs, channel: CHANNEL })));

    botpress.outageStatus = 503;
    expect(await fromSlack('events', first)).toBe(200);
    // Slack's own retry of it (as after a lost answer) changes nothing.
    expect(await fromSlack('events', first, 1)).toBe(200);
    expect(await agentReply(threadTs, 'Hello?')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(botpress.messagesFor(conversationId)).toEqual([]);
    botpress.outageStatus = undefined;

    await eventually(() => expect(botpress.messagesFor(conversationId), bridge.output()).toEqual(['Maya: Are you still there?', 'Maya: Hello?']));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(botpress.messagesFor(conversationId)).toHaveLength(2);
  });

  it('keeps 20 parallel conversations apart: every message in its own thread and conversation, none lost, none doubled', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => i);
    const threads = new Map<number, string>();
    await Promise.all(
      ids.map(async (i) => {
        const conversationId = `e2e-par-${i}`;
        threads.set(i, await handOff(conversationId, `Customer ${i}`));
        for (let k = 0; k < 3; k += 1) {
          // Customer and agent write at the same time, interleaved across all conversations.
          const [active, status] = await Promise.all([customerSays(conversationId, `customer ${i}.${k}`, `par-${i}-${k}`), agentReply(threads.get(i)!, `agent ${i}.${k}`)]);
          expect(active).toBe(true);
          expect(status).toBe(200);
        }
      }),
    );

    expect(new Set(threads.values()).size).toBe(20);
    await eventually(() => expect(botpress.messages.filter((message) => message.conversationId.startsWith('e2e-par-'))).toHaveLength(60), 30_000);
    await eventually(() => expect(slack.callsTo('chat.postMessage').filter((call) => String(call.args.thread_ts) !== 'undefined' && call.args.username && String(call.args.text).startsWith('customer '))).toHaveLength(60), 30_000);
    for (const i of ids) {
      const inThread = slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threads.get(i) && call.args.username);
      expect(inThread.map((call) => call.args.text)).toEqual([`customer ${i}.0`, `customer ${i}.1`, `customer ${i}.2`]);
      expect(inThread.every((call) => call.args.username === `Customer ${i} (customer)`)).toBe(true);
      expect(botpress.messagesFor(`e2e-par-${i}`)).toEqual([`Maya: agent ${i}.0`, `Maya: agent ${i}.1`, `Maya: agent ${i}.2`]);
    }
    expect(botpress.messages.filter((message) => message.conversationId.startsWith('e2e-par-'))).toHaveLength(60);
    // Its own waits are up to 30 s each on a busy 2-core machine: longer than the suite's default.
  }, 90_000);
});

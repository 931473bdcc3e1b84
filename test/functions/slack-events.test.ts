import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DELETED_REPLY_NOTICE, NOT_CONNECTED_NOTICE, NOT_CONNECTED_REVISION_NOTICE, NOTE_NOTICES } from '../../shared/slack/render/notices';
import type { HttpResponse } from '../../shared/platform/http';
import { NAME_WAIT_MS } from '../../functions/wiring/desk';
import { ThreadStore } from '../../shared/aws/handoff-store';
import {
  AGENT,
  SUPPORT_CHANNEL,
  cardUpdated,
  channelJoin,
  customizedBotPost,
  eventCallback,
  fileShare,
  meMessage,
  otherBotReply,
  ownPostEcho,
  replyDeleted,
  replyEdited,
  threadBroadcast,
  threadReply,
  topLevelMessage,
} from '../fixtures/slack-events';
import { BOT_TOKEN, BOTPRESS_SECRET, seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { signedSlackRequest, type SlackRequestOptions } from '../support/slack-requests';

let bridge: BridgeHarness;
let handler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let threadCounter = 0;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  handler = await bridge.loadHandler('../../functions/slack-events/handler');
  bridge.slack.users.set(AGENT, { display_name: 'Maya', real_name: 'Maya Lopez' });
});
afterAll(() => bridge.close());
beforeEach(async () => {
  // Whatever an earlier test left queued is delivered now, not in the middle of this one.
  await bridge.runDeliveries();
  bridge.botpress.status = 200;
  bridge.botpress.delayMs = 0;
  bridge.botpress.delivered.length = 0;
  bridge.botpress.received.length = 0;
  bridge.slack.calls.length = 0;
});

/** A fresh open handoff on its own thread, so that tests do not share state. */
async function openThread(): Promise<{ conversationId: string; threadTs: string }> {
  threadCounter += 1;
  const threadTs = `1717549330.${String(threadCounter).padStart(6, '0')}`;
  const conversationId = `conv-${threadCounter}`;
  await seedHandoff(bridge.store, conversationId, threadTs);
  return { conversationId, threadTs };
}

const send = (body: unknown, options?: SlackRequestOptions) => handler(signedSlackRequest(JSON.stringify(body), options));

describe('POST /slack/events', () => {
  it('marks a reply that reaches the customer after one the agent wrote later (Slack sent it again), so that they read it as written first', async () => {
    const { conversationId, threadTs } = await openThread();
    const first = threadReply('Let me check your order', { threadTs, ts: '1717549400.000100' });
    const second = threadReply('Found it: it ships today', { threadTs, ts: '1717549400.000200' });
    // The first went unanswered (a 503), the second went through, then Slack retried the first. Slack holds both.
    for (const reply of [first, second]) bridge.slack.messages.push({ channel: SUPPORT_CHANNEL, ts: String(reply.ts), threadTs, text: String(reply.text), metadata: undefined, user: AGENT });
    expect((await send(eventCallback(second))).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect((await send(eventCallback(first), { retryNum: 1 })).statusCode).toBe(200);
    await bridge.runDeliveries();
    // What the agent writes next is not marked.
    expect((await send(eventCallback(threadReply('And a tracking link soon', { threadTs, ts: '1717549400.000300' })))).statusCode).toBe(200);
    await bridge.runDeliveries();

    expect((bridge.botpress.deliveredBodies() as { text: string; earlier?: true }[]).map((body) => [body.text, body.earlier])).toEqual([
      ['Found it: it ships today', undefined],
      ['(earlier message) Let me check your order', true],
      ['And a tracking link soon', undefined],
    ]);
    expect(bridge.botpress.deliveredBodies()[1]).toMatchObject({ conversationId, messageTs: '1717549400.000100' });
    // Only the reply Slack sent again was asked about.
    expect(bridge.slack.callsTo('conversations.replies')).toEqual([expect.objectContaining({ args: expect.objectContaining({ ts: threadTs, oldest: '1717549400.000100' }) as object })]);
  });

  it('answers 200 with the reply queued, and the delivery function delivers exactly the normalized payload to Botpress', async () => {
    const { conversationId, threadTs } = await openThread();
    // An agent no other test writes as: their name is looked up here, whatever ran before.
    const agent = 'U0FIRSTREPLY';
    bridge.slack.users.set(agent, { display_name: 'Maya' });
    const event = threadReply('Hi! Try <https://help.example.com/reset|this guide> &amp; tell me', { threadTs, user: agent });
    const response = await send(eventCallback(event));

    expect(response.statusCode).toBe(200);
    // Acknowledged before anything reached Botpress or Slack.
    expect(bridge.botpress.received).toHaveLength(0);
    expect(bridge.slack.calls).toHaveLength(0);
    expect(bridge.queued().deliveries).toHaveLength(1);

    await bridge.runDeliveries();
    expect(bridge.queued().deliveries).toEqual([]);
    expect(bridge.botpress.delivered).toHaveLength(1);
    const request = bridge.botpress.delivered[0]!;
    expect(request.path).toBe('/webhook/abc');
    expect(request.headers['x-bp-secret']).toBe(BOTPRESS_SECRET);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.rawBody)).toEqual({
      type: 'agent_message',
      eventId: `${SUPPORT_CHANNEL}:${String(event.ts)}`,
      text: 'Hi! Try this guide (https://help.example.com/reset) & tell me',
      userId: agent,
      channelId: SUPPORT_CHANNEL,
      threadTs,
      conversationId,
      messageTs: event.ts,
      agentName: 'Maya',
    });
    expect(bridge.slack.callsTo('users.info')).toEqual([expect.objectContaining({ args: { user: agent }, token: BOT_TOKEN })]);
  });

  it('looks the agent name up once and then serves it from the cache', async () => {
    const { threadTs } = await openThread();
    // An agent no earlier test has written as, so that the first reply finds the cache empty whatever ran before.
    const agent = 'U0CACHEDAGENT';
    bridge.slack.users.set(agent, { display_name: 'Maya' });
    await send(eventCallback(threadReply('one', { threadTs, user: agent })));
    await bridge.runDeliveries();
    await send(eventCallback(threadReply('two', { threadTs, user: agent })));
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ agentName: 'Maya' }, { agentName: 'Maya' }]);
    expect(bridge.slack.callsTo('users.info').filter((call) => call.args.user === agent)).toHaveLength(1);
  });

  it('does not hold a reply for a slow name lookup: it goes without the name, which the next reply has', async () => {
    const { threadTs } = await openThread();
    const newcomer = 'U0NEWAGENT';
    bridge.slack.users.set(newcomer, { display_name: 'Noor' });
    bridge.slack.delays.set('users.info', NAME_WAIT_MS + 400);
    try {
      await send(eventCallback(threadReply('first', { threadTs, user: newcomer })));
      await bridge.runDeliveries();
      // Within its wait, not the Slack client's timeout: the lookup answers later and fills the cache.
      expect(bridge.botpress.deliveredBodies()).toEqual([expect.not.objectContaining({ agentName: expect.anything() as unknown })]);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await send(eventCallback(threadReply('second', { threadTs, user: newcomer })));
      await bridge.runDeliveries();
      expect(bridge.botpress.deliveredBodies()[1]).toMatchObject({ text: 'second', agentName: 'Noor' });
      expect(bridge.slack.callsTo('users.info')).toHaveLength(1);
    } finally {
      bridge.slack.delays.clear();
    }
  });

  it.each([
    ['thread_broadcast', threadBroadcast],
    ['file_share (text part)', fileShare],
    ['/me (me_message)', meMessage],
  ])('forwards a %s reply', async (_case, make) => {
    const { threadTs } = await openThread();
    await send(eventCallback({ ...make('Here you go'), thread_ts: threadTs }));
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ text: 'Here you go', threadTs }]);
  });

  it('answers the url_verification challenge', async () => {
    const response = await send({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    expect(response).toMatchObject({ statusCode: 200, body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it.each([
    ['a change Slack made itself (no `edited`: a link unfurled)', () => ({ ...cardUpdated(), message: threadReply('see https://x.test') })],
    ["the bridge's own card update", cardUpdated],
    ["the deletion of the bridge's own post", () => replyDeleted(ownPostEcho('Customer says hi'))],
    ['a channel join', channelJoin],
    ["the bridge's own post with a custom username", () => customizedBotPost('Customer says hi')],
    ["the bridge's own chat.postMessage echo", () => ownPostEcho('Customer says hi')],
    ['another bot', () => otherBotReply('beep')],
    ['a top-level channel message', () => topLevelMessage('Morning team')],
    ['a reaction', () => ({ type: 'reaction_added', user: AGENT, reaction: 'eyes', item: { type: 'message', channel: SUPPORT_CHANNEL, ts: '1.1' } })],
  ])('ignores %s: 200, nothing queued, forwarded or posted', async (_case, make) => {
    const response = await send(eventCallback(make()));
    expect(response.statusCode).toBe(200);
    expect(bridge.queued().deliveries).toEqual([]);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(0);
    expect(bridge.slack.calls).toHaveLength(0);
  });

  it("ignores a reply in a colleague's own thread silently: 200, no DynamoDB or Slack call, no notice", async () => {
    const operations = bridge.dynamo.operations.length;
    const response = await send(eventCallback(threadReply('did you see the deploy?', { threadTs: '1717549999.000001', parentUserId: 'U0COLLEAGUE' })));
    expect(response.statusCode).toBe(200);
    expect(bridge.dynamo.operations.slice(operations)).toEqual([]);
    expect(bridge.queued().deliveries).toEqual([]);
    expect(bridge.slack.calls).toHaveLength(0);
  });

  it('acknowledges envelope types it does not act on', async () => {
    const response = await send({ token: 'x', team_id: 'T1', minute_rate_limited: 1518467820, api_app_id: 'A1', type: 'app_rate_limited' });
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['a wrong signature', '{}', { secret: 'not-the-secret' }, 401],
    ['a stale timestamp', '{}', { timestamp: Math.floor(Date.now() / 1000) - 600 }, 401],
    ['a body that is not JSON', '{"type": "event_callback",', {}, 400],
    ['an event_callback without event_id', JSON.stringify({ type: 'event_callback', event: { type: 'message' } }), {}, 400],
  ])('rejects %s', async (_case, body, options, status) => {
    const response = await handler(signedSlackRequest(body, options));
    expect(response.statusCode).toBe(status);
    if (status === 401) expect(JSON.parse(response.body!)).toEqual({ error: 'unauthorized' });
    if (status === 400) expect((JSON.parse(response.body!) as { problems: string[] }).problems.length).toBeGreaterThan(0);
    expect(bridge.queued().deliveries).toEqual([]);
  });

  it('names the problem in a 400', async () => {
    const response = await handler(signedSlackRequest('not json'));
    expect(JSON.parse(response.body!)).toEqual({ error: 'bad_request', problems: ['body is not valid JSON'] });
  });

  it('delivers once when Slack redelivers the same event and when it re-sends the message under a new event_id', async () => {
    const { threadTs } = await openThread();
    const message = threadReply('Only once, please', { threadTs });
    const first = eventCallback(message);
    const responses = [
      await send(first),
      await send(first, { retryNum: 1 }),
      await send(first, { retryNum: 2 }),
      await send(eventCallback(message)), // same message, new event_id
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    // SQS keeps a deduplication id (the message's channel:ts) once within 5 minutes.
    expect(bridge.queued().deliveries).toHaveLength(1);
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(1);
  });

  it('delivers once when concurrent copies of an event race', async () => {
    const { threadTs } = await openThread();
    const callback = eventCallback(threadReply('racing', { threadTs }));
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => send(callback, { retryNum: i === 0 ? undefined : 1 })));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(1);
  });

  it('acknowledges in milliseconds while Botpress hangs, and Botpress is never on the path of the answer', async () => {
    const { threadTs } = await openThread();
    bridge.botpress.delayMs = 20_000;
    const started = performance.now();
    const responses = await Promise.all([1, 2, 3].map((i) => send(eventCallback(threadReply(`reply ${i}`, { threadTs })))));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    // The answer's work is a DynamoDB read and an SQS send on loopback; Slack allows 3 s.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(bridge.botpress.received).toHaveLength(0);
    expect(bridge.queued().deliveries).toHaveLength(3);
    bridge.botpress.delayMs = 0;
  });

  it('answers 503 when the queue cannot take the reply, so that Slack retries; the retry is queued and delivered once', async () => {
    const { threadTs } = await openThread();
    const callback = eventCallback(threadReply('queue me', { threadTs }));
    const sqs = await import('@aws-sdk/client-sqs');
    const refuse = vi.spyOn(sqs.SQSClient.prototype, 'send').mockRejectedValueOnce(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }));
    try {
      expect((await send(callback)).statusCode).toBe(503);
    } finally {
      refuse.mockRestore();
    }
    expect((await send(callback, { retryNum: 1 })).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ text: 'queue me' }]);
  });

  describe("an agent's edit or deletion", () => {
    async function replied(text: string) {
      const { conversationId, threadTs } = await openThread();
      const original = threadReply(text, { threadTs });
      await send(eventCallback(original));
      return { conversationId, threadTs, original };
    }

    it('sends the customer the correction, marked "(edited)", after the reply it corrects', async () => {
      const { threadTs, original } = await replied('Your refund is on its way');
      expect((await send(eventCallback(replyEdited(original, 'Your refund was sent today')))).statusCode).toBe(200);
      await bridge.runDeliveries();
      expect(bridge.botpress.deliveredBodies()).toMatchObject([
        { text: 'Your refund is on its way', messageTs: original.ts, threadTs },
        { text: '(edited) Your refund was sent today', messageTs: original.ts, edited: true, eventId: expect.stringMatching(/:edited:/) as string },
      ]);
    });

    it('tells the agent, privately, that the customer keeps a reply they deleted', async () => {
      const { threadTs, original } = await replied('Oops, wrong customer');
      expect((await send(eventCallback(replyDeleted(original)))).statusCode).toBe(200);
      await bridge.runDeliveries();
      expect(bridge.botpress.deliveredBodies()).toMatchObject([{ text: 'Oops, wrong customer' }]);
      expect(bridge.slack.callsTo('chat.postEphemeral').map((call) => call.args)).toEqual([{ channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs, text: DELETED_REPLY_NOTICE }]);
    });

    it('says nothing more of a deleted reply that never reached the customer (the agent was told it was lost)', async () => {
      bridge.botpress.status = 400;
      const { original } = await replied('never arrives');
      await send(eventCallback(replyDeleted(original)));
      await bridge.runDeliveries();
      const texts = bridge.slack.calls.map((call) => String(call.args.text));
      expect(texts.some((text) => text.includes('did not reach the customer'))).toBe(true);
      expect(texts).not.toContain(DELETED_REPLY_NOTICE);
    });

    it('in a thread whose handoff has closed: the agent hears the change did not reach the customer', async () => {
      const { conversationId, threadTs, original } = await replied('See you');
      await bridge.runDeliveries();
      await bridge.store.close(conversationId, threadTs, { by: AGENT, reason: 'resolved' });
      bridge.slack.calls.length = 0;
      await send(eventCallback(replyEdited(original, 'See you soon')));
      await bridge.runDeliveries();
      expect(bridge.slack.callsTo('chat.postEphemeral').map((call) => call.args.text)).toEqual([NOT_CONNECTED_REVISION_NOTICE.edited]);
      expect(bridge.botpress.deliveredBodies()).toHaveLength(1);
    });
  });

  describe('internal notes (INTERNAL_NOTE_PREFIXES, by default "note:" and ";;")', () => {
    const lockOn = (ts: unknown) => `${SUPPORT_CHANNEL}:${String(ts)}:lock`;

    it('keeps a note in Slack: nothing reaches Botpress, the note gets a lock at once; "Please note:" is an ordinary reply', async () => {
      const { threadTs } = await openThread();
      const note = threadReply('  NOTE: @bob, any idea about order 1234?', { threadTs });
      const semicolons = threadReply(';; checking with billing', { threadTs });
      const ordinary = threadReply('Please note: refunds take 3 days', { threadTs });
      for (const message of [note, semicolons, ordinary]) expect((await send(eventCallback(message))).statusCode).toBe(200);
      await bridge.runDeliveries();
      expect(bridge.botpress.deliveredBodies().map((body) => (body as { text: string }).text)).toEqual(['Please note: refunds take 3 days']);
      expect([...bridge.slack.reactions]).toEqual(expect.arrayContaining([lockOn(note.ts), lockOn(semicolons.ts)]));
      expect([...bridge.slack.reactions]).not.toContain(lockOn(ordinary.ts));
      expect(bridge.slack.callsTo('chat.postEphemeral')).toEqual([]);
    });

    it('never lets an edit leak a note: an edited note stays, a note edited into a reply stays with a word to its writer, a reply edited into a note stays and is locked', async () => {
      const { threadTs } = await openThread();
      const note = threadReply('note: is this the double charge?', { threadTs });
      const reply = threadReply('Your refund is on its way', { threadTs });
      for (const message of [note, reply]) await send(eventCallback(message));
      await bridge.runDeliveries();
      bridge.slack.calls.length = 0;
      for (const edit of [replyEdited(note, 'note: yes, it is'), replyEdited(note, 'Yes, it is the double charge'), replyEdited(reply, 'note: wrong thread, sorry'), replyDeleted(note)]) {
        expect((await send(eventCallback(edit))).statusCode).toBe(200);
      }
      await bridge.runDeliveries();
      expect(bridge.botpress.deliveredBodies().map((body) => (body as { text: string }).text)).toEqual(['Your refund is on its way']);
      expect(bridge.slack.callsTo('chat.postEphemeral').map((call) => call.args)).toEqual([
        { channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs, text: NOTE_NOTICES['note-edit-kept'] },
        { channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs, text: NOTE_NOTICES['reply-made-note'] },
      ]);
      expect([...bridge.slack.reactions]).toContain(lockOn(reply.ts));
    });

    it('tells the writer privately when Slack will not take the lock (an app without reactions:write), and still keeps the note', async () => {
      const { threadTs } = await openThread();
      bridge.slack.scopes.delete('reactions:write');
      try {
        expect((await send(eventCallback(threadReply('note: do not send this', { threadTs })))).statusCode).toBe(200);
        await bridge.runDeliveries();
      } finally {
        bridge.slack.scopes.add('reactions:write');
      }
      expect(bridge.botpress.received).toHaveLength(0);
      expect(bridge.slack.callsTo('chat.postEphemeral').map((call) => call.args)).toEqual([{ channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs, text: NOTE_NOTICES['note-kept'] }]);
    });

    it('keeps a note in a thread whose handoff has closed too, without the not-connected notice', async () => {
      const { conversationId, threadTs } = await openThread();
      await bridge.store.close(conversationId, threadTs, { by: AGENT, reason: 'resolved' });
      const note = threadReply('note: customer called back by phone', { threadTs });
      expect((await send(eventCallback(note))).statusCode).toBe(200);
      await bridge.runDeliveries();
      expect(bridge.slack.callsTo('chat.postEphemeral')).toEqual([]);
      expect([...bridge.slack.reactions]).toContain(lockOn(note.ts));
    });
  });

  describe('a reply in a thread with no live handoff', () => {
    const expectNotice = async (threadTs: string) => {
      await bridge.runDeliveries();
      expect(bridge.botpress.received).toHaveLength(0);
      expect(bridge.slack.callsTo('chat.postEphemeral')).toEqual([
        expect.objectContaining({ args: { channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs, text: NOT_CONNECTED_NOTICE } }),
      ]);
    };

    it('closed: gets the ephemeral not-connected notice', async () => {
      const { conversationId, threadTs } = await openThread();
      await bridge.store.close(conversationId, threadTs, { by: AGENT, reason: 'resolved' });
      expect((await send(eventCallback(threadReply('still there?', { threadTs })))).statusCode).toBe(200);
      await expectNotice(threadTs);
    });

    it('expired: gets the notice', async () => {
      threadCounter += 1;
      const threadTs = `1717549330.${String(threadCounter).padStart(6, '0')}`;
      const eightDaysAgo = new ThreadStore({ client: bridge.dynamo.documentClient, tableName: bridge.dynamo.tableName, ttlSeconds: 7 * 24 * 3600, now: () => Date.now() - 8 * 24 * 3600 * 1000 });
      await seedHandoff(eightDaysAgo, `conv-expired-${threadCounter}`, threadTs);
      await send(eventCallback(threadReply('hello?', { threadTs })));
      await expectNotice(threadTs);
    });

    it('unknown: gets the notice', async () => {
      await send(eventCallback(threadReply('hello?', { threadTs: '1600000000.000001' })));
      await expectNotice('1600000000.000001');
    });

    it('a notice Slack fails to take is retried by the delivery function, and posted once', async () => {
      bridge.slack.failing.set('chat.postEphemeral', 'internal_error');
      const callback = eventCallback(threadReply('hello?', { threadTs: '1600000000.000002' }));
      expect((await send(callback)).statusCode).toBe(200);
      await bridge.runDeliveries();
      expect(bridge.queued().deliveries).toHaveLength(1);
      bridge.slack.failing.clear();
      bridge.slack.calls.length = 0;
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await expectNotice('1600000000.000002');
    });
  });

  it('logs outcomes without message text or secrets', async () => {
    const { logger } = await import('../../shared/platform/logger');
    logger.setLogLevel('DEBUG');
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
    try {
      const { threadTs } = await openThread();
      bridge.botpress.status = 500;
      await send(eventCallback(threadReply('My card number is 4111 1111 1111 1111', { threadTs })));
      await bridge.runDeliveries();
      bridge.botpress.status = 200;
      await send(eventCallback(threadReply('Private detail: 221B Baker Street', { threadTs })));
      await send(eventCallback(ownPostEcho('Customer: private')));
      await send(eventCallback(threadReply('x', { threadTs })), { secret: 'wrong' });
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await bridge.runDeliveries();
    } finally {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel('SILENT');
    }
    const output = lines.join('');
    expect(output).toContain('agent reply queued');
    expect(output).toContain('delivery failed; will retry');
    expect(output).toContain('agent reply delivered');
    expect(output).toContain('signature_mismatch');
    for (const secretOrText of ['4111', 'Baker', 'private', BOT_TOKEN, BOTPRESS_SECRET, 'test-signing-secret']) {
      expect(output).not.toContain(secretOrText);
    }
  });

  it('follows a reply from the Slack request into the queue by one correlation id, its log lines with the invocation’s request id', async () => {
    const { logger } = await import('../../shared/platform/logger');
    logger.setLogLevel('DEBUG');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')));
      return true;
    });
    const { threadTs } = await openThread();
    const request = signedSlackRequest(JSON.stringify(eventCallback(threadReply('traced', { threadTs }))));
    try {
      expect((await handler(request)).statusCode).toBe(200);
    } finally {
      spy.mockRestore();
      logger.setLogLevel('SILENT');
    }
    const queued = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.message === 'agent reply queued');
    expect(queued).toMatchObject({ correlation_id: request.requestContext.requestId, function_request_id: expect.any(String) as string, function_name: 'slack-events' });
    // The delivery takes it from the message (correlateRecord; test/shared/platform/logger.test.ts).
    const message = bridge.sqs.messages(bridge.queues.deliveries.url.split('/').at(-1)!).find((candidate) => candidate.body.includes('"markup":"traced"'));
    expect(message?.messageAttributes).toMatchObject({ correlationId: { DataType: 'String', StringValue: request.requestContext.requestId } });
  });
});

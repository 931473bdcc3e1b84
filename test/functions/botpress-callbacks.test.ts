import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../shared/platform/http';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/render/cards';
import { conversationKey, ThreadStore } from '../../shared/aws/handoff-store';
import { BOT_TOKEN, SUPPORT_CHANNEL_ID, seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';

let bridge: BridgeHarness;
let handler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let n = 0;
const newConversationId = () => `conv-bp-${(n += 1)}`;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  handler = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
});
afterAll(() => bridge.close());
beforeEach(async () => {
  bridge.slack.failing.clear();
  bridge.slack.postLimit = undefined;
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
  bridge.botpress.delivered.length = 0;
});

const call = async (path: string, body: unknown, token?: string | null) => {
  const response = await handler(botpressRequest(path, body, token));
  return { status: response.statusCode, body: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
};

const handoffBody = (conversationId: string, extra: Record<string, unknown> = {}) => ({
  conversationId,
  userId: 'bp-user-42',
  summary: 'Customer was double-charged for order #1234 and wants a refund.',
  customer: { name: 'Jane Doe', email: 'jane@example.com' },
  ...extra,
});

const buttonsOf = (blocks: unknown) =>
  (blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements ?? [])
    .map((element) => [element.action_id, element.value]);

describe('POST /botpress/handoff', () => {
  it('posts the card with the summary, the customer and Claim/Resolve, then the transcript in the thread', async () => {
    const conversationId = newConversationId();
    const response = await call(
      '/botpress/handoff',
      handoffBody(conversationId, {
        transcript: [
          { role: 'user', text: 'I was charged twice <!channel>' },
          { role: 'bot', text: 'Sorry to hear that! Let me get a human.' },
        ],
      }),
    );
    // The card while Botpress waits; the transcript right after, from the queue.
    expect(bridge.slack.callsTo('chat.postMessage')).toHaveLength(1);
    await bridge.runDeliveries();

    const posts = bridge.slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength(2);
    const [card, transcript] = posts as [(typeof posts)[0], (typeof posts)[0]];
    expect(response).toEqual({ status: 200, body: { status: 'created', channelId: SUPPORT_CHANNEL_ID, threadTs: expect.any(String) as string } });
    expect(card.token).toBe(BOT_TOKEN);
    expect(card.args).toMatchObject({ channel: SUPPORT_CHANNEL_ID });
    expect(card.args.thread_ts).toBeUndefined();
    const blocksText = JSON.stringify(card.args.blocks);
    expect(blocksText).toContain('Jane Doe (jane@example.com)');
    expect(blocksText).toContain('Customer was double-charged for order #1234 and wants a refund.');
    expect(buttonsOf(card.args.blocks)).toEqual([
      [CLAIM_ACTION_ID, conversationId],
      [RESOLVE_ACTION_ID, conversationId],
    ]);
    expect(transcript.args).toMatchObject({ channel: SUPPORT_CHANNEL_ID, thread_ts: response.body.threadTs });
    // Customer text is escaped: it cannot ping the channel.
    expect(transcript.args.text).toBe(
      ':scroll: *Conversation so far*\n*Customer:* I was charged twice &lt;!channel&gt;\n*Bot:* Sorry to hear that! Let me get a human.',
    );
    expect(await bridge.store.findByThread(SUPPORT_CHANNEL_ID, response.body.threadTs as string)).toMatchObject({ conversationId, state: 'open', botpressUserId: 'bp-user-42' });
  });

  it('is idempotent while the handoff is open: the same thread, nothing posted', async () => {
    const conversationId = newConversationId();
    const first = await call('/botpress/handoff', handoffBody(conversationId));
    bridge.slack.calls.length = 0;
    const second = await call('/botpress/handoff', handoffBody(conversationId));
    expect(second).toEqual({ status: 200, body: { status: 'already_open', channelId: SUPPORT_CHANNEL_ID, threadTs: first.body.threadTs } });
    expect(bridge.slack.calls).toHaveLength(0);
  });

  it('opens exactly one thread for concurrent calls', async () => {
    const conversationId = newConversationId();
    const responses = await Promise.all(Array.from({ length: 8 }, () => call('/botpress/handoff', handoffBody(conversationId))));
    expect(bridge.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(responses.filter((r) => r.body.status === 'created')).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.threadTs)).size).toBe(1);
  });

  it('answers 502 naming the fix when Slack refuses the card for good (not_in_channel), and once fixed the next call opens it', async () => {
    const conversationId = newConversationId();
    bridge.slack.failing.set('chat.postMessage', 'not_in_channel');
    expect(await call('/botpress/handoff', handoffBody(conversationId))).toEqual({
      status: 502,
      body: { error: 'refused', service: 'slack', code: 'not_in_channel', fix: 'invite the app to the support channel: /invite @Support Bridge', retryable: false },
    });
    bridge.slack.failing.clear();
    expect((await call('/botpress/handoff', handoffBody(conversationId))).body.status).toBe('created');
  });

  it('answers "queued" when Slack cannot take the card now, posts it when Slack can, and keeps what the customer wrote meanwhile in order behind it', async () => {
    const conversationId = newConversationId();
    bridge.slack.failing.set('chat.postMessage', 'service_unavailable');
    const transcript = [{ role: 'user', text: 'hello' }];
    expect(await call('/botpress/handoff', handoffBody(conversationId, { transcript }))).toEqual({ status: 200, body: { status: 'queued' } });
    expect(await call('/botpress/message', { conversationId, text: 'first', messageId: 'q1' })).toEqual({ status: 200, body: { handoffActive: true } });
    expect(await call('/botpress/message', { conversationId, text: 'second', messageId: 'q2' })).toEqual({ status: 200, body: { handoffActive: true } });
    // Asked again meanwhile (Botpress's own retry): the same answer, nothing more queued or posted.
    expect((await call('/botpress/handoff', handoffBody(conversationId, { transcript }))).body).toEqual({ status: 'queued' });

    await bridge.runDeliveries();
    // The request's try and the delivery function's, both refused; nothing posted behind the card that is not there.
    expect(bridge.slack.callsTo('chat.postMessage').map((posted) => posted.args.thread_ts)).toEqual([undefined, undefined]);
    bridge.slack.failing.clear();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    bridge.slack.calls.length = 0;
    await bridge.runDeliveries();

    const [card, ...thread] = bridge.slack.callsTo('chat.postMessage');
    expect(card!.args.thread_ts).toBeUndefined();
    expect(thread.map((post) => [post.args.thread_ts, post.args.text])).toEqual([
      [card!.args.ts ?? expect.any(String), ':scroll: *Conversation so far*\n*Customer:* hello'],
      [expect.any(String), 'first'],
      [expect.any(String), 'second'],
    ]);
    expect(new Set(thread.map((post) => post.args.thread_ts)).size).toBe(1);
    expect((await call('/botpress/handoff', handoffBody(conversationId))).body).toMatchObject({ status: 'already_open', threadTs: thread[0]!.args.thread_ts });
  });

  it('tells the bot, and through it the customer, when a queued card can never be posted; a later handoff can open', async () => {
    const conversationId = newConversationId();
    bridge.slack.failing.set('chat.postMessage', 'service_unavailable');
    expect((await call('/botpress/handoff', handoffBody(conversationId))).body).toEqual({ status: 'queued' });
    expect((await call('/botpress/message', { conversationId, text: 'hello?', messageId: 'qf1' })).body).toEqual({ handoffActive: true });
    // Then Slack refuses for good: the app was removed from the channel.
    bridge.slack.failing.set('chat.postMessage', 'not_in_channel');
    await bridge.runDeliveries();
    const told = bridge.botpress.deliveredBodies().filter((body) => (body as { conversationId?: string }).conversationId === conversationId);
    expect(told).toEqual([
      { type: 'handoff_failed', eventId: expect.any(String) as string, conversationId },
      { type: 'customer_message_failed', eventId: expect.any(String) as string, conversationId, messageId: 'qf1' },
    ]);
    expect((await call('/botpress/message', { conversationId, text: 'anyone?' })).body).toEqual({ handoffActive: false });
    bridge.slack.failing.clear();
    expect((await call('/botpress/handoff', handoffBody(conversationId))).body.status).toBe('created');
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token'],
    ['a token that is a prefix of the right one', 'bridge-api-token'],
  ])('answers 401 to %s, opaquely', async (_case, token) => {
    expect(await call('/botpress/handoff', handoffBody(newConversationId()), token)).toEqual({ status: 401, body: { error: 'unauthorized' } });
    expect(bridge.slack.calls).toHaveLength(0);
  });

  it('answers 401 to a malformed Authorization header', async () => {
    const event = botpressRequest('/botpress/handoff', handoffBody(newConversationId()));
    event.headers.authorization = 'Basic dXNlcjpwYXNz';
    expect((await handler(event)).statusCode).toBe(401);
  });

  it.each(["o'brien@example.ie", 'jane@xn--exmple-cua.de', 'josé@example.com', 'user@123.45.67.89', 'jane+billing@example.com', '"jane doe"@example.com', 'user@[IPv6:2001:db8::1]'])(
    'takes %s as the address it is',
    async (email) => {
      const response = await call('/botpress/handoff', handoffBody(newConversationId(), { customer: { name: 'Jane Doe', email } }));
      expect(response.body.status).toBe('created');
      const card = JSON.stringify(bridge.slack.callsTo('chat.postMessage')[0]!.args.blocks);
      expect(card).toContain(JSON.stringify(`Jane Doe (${email})`).slice(1, -1));
      expect(card).not.toContain('not valid');
    },
  );

  it.each([['nope'], ['jane@'], ['x'.repeat(2_500)]])('opens the handoff for an address that is none (%s), and the card says it is not valid', async (email) => {
    const conversationId = newConversationId();
    expect((await call('/botpress/handoff', handoffBody(conversationId, { customer: { name: 'Jane Doe', email } }))).body.status).toBe('created');
    const card = JSON.stringify(bridge.slack.callsTo('chat.postMessage')[0]!.args.blocks);
    expect(card).toContain(`Jane Doe (the e-mail address given is not valid: ${email.slice(0, 200)}`);
    expect(await bridge.store.findByConversation(conversationId)).toMatchObject({ state: 'open', customerEmailInvalid: true });
  });

  it('opens a handoff whose summary escapes past the section limit: the card shortens it, marked, and the thread has it whole before the transcript', async () => {
    const conversationId = newConversationId();
    const summary = `${'Refund & <credit> '.repeat(155)}end.`;
    expect(summary.length).toBeGreaterThan(2_790);
    const response = await call('/botpress/handoff', handoffBody(conversationId, { summary, transcript: [{ role: 'user', text: 'hi' }] }));
    expect(response.body.status).toBe('created');
    await bridge.runDeliveries();
    // The stand-in refuses what Slack refuses (invalid_blocks past 3,000 characters), so each post here was taken.
    const [card, ...thread] = bridge.slack.callsTo('chat.postMessage');
    expect(JSON.stringify(card!.args.blocks)).toContain(' … _(the full summary is in the thread)_');
    expect(thread.map((post) => post.args.thread_ts)).toEqual([response.body.threadTs, response.body.threadTs]);
    expect(thread[0]!.args.text).toBe(`*Summary*\n${summary.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    expect(thread[1]!.args.text).toBe(':scroll: *Conversation so far*\n*Customer:* hi');
  });

  it.each([
    ['missing fields', { conversationId: 'c' }, ['userId: is required', 'summary: is required']],
    ['a bad role and e-mail type', { ...handoffBody('c'), customer: { email: 42 }, transcript: [{ role: 'agent', text: 'x' }] }, ['customer.email: must be a string', 'transcript.0.role: must be "user" or "bot"']],
    ['wrong types', { ...handoffBody('c'), conversationId: 42, summary: '   ' }, ['conversationId: must be a string', 'summary: must not be empty']],
    ['a body that is not JSON', '{"conversationId":', ['body is not valid JSON']],
    ['a body that is not an object', '[1, 2]', ['body: must be a JSON object']],
  ])('answers 400 naming the offending fields for %s', async (_case, body, problems) => {
    expect(await call('/botpress/handoff', body)).toEqual({ status: 400, body: { error: 'bad_request', problems } });
    expect(bridge.slack.calls).toHaveLength(0);
  });

  it('answers 404 to an unknown route', async () => {
    expect((await call('/botpress/unknown', {})).status).toBe(404);
  });
});

describe('handoffs opened all at once, with the delivery function running beside them', () => {
  it('puts every transcript and every message the customer wrote while the card was posting in its thread, in order', async () => {
    // Slack takes a while over each post, so that the delivery function meets handoffs still opening.
    bridge.slack.delays.set('chat.postMessage', 150);
    const conversations = Array.from({ length: 40 }, () => newConversationId());
    let opening = true;
    const deliveries = (async () => {
      while (opening) {
        await bridge.runDeliveries();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const answers = await Promise.all(
        conversations.map(async (conversationId) => {
          const handoff = call('/botpress/handoff', handoffBody(conversationId, { transcript: [{ role: 'user', text: `I need help with ${conversationId}` }] }));
          // Written while the card is being posted (Slack has the post, and has not answered yet).
          const cardPosting = () => bridge.slack.callsTo('chat.postMessage').some((post) => JSON.stringify(post.args.blocks ?? '').includes(`\`${conversationId}\``));
          while (!cardPosting()) await new Promise((resolve) => setTimeout(resolve, 5));
          const message = await call('/botpress/message', { conversationId, text: `more about ${conversationId}`, messageId: `m-${conversationId}` });
          return { handoff: await handoff, message };
        }),
      );
      expect(answers.map(({ handoff, message }) => [handoff.status, message.status, message.body])).toEqual(answers.map(() => [200, 200, { handoffActive: true }]));
    } finally {
      opening = false;
      await deliveries;
    }
    // What had to wait for its thread comes back after its retry delay.
    const threadOf = (conversationId: string) =>
      bridge.slack
        .callsTo('chat.postMessage')
        .filter((call) => call.args.thread_ts !== undefined && new RegExp(`${conversationId}(?!\\d)`).test(String(call.args.text)))
        .map((call) => (String(call.args.text).startsWith(':scroll:') ? 'transcript' : 'message'));
    const deadline = Date.now() + 30_000;
    while (!conversations.every((id) => threadOf(id).length === 2) && Date.now() < deadline) {
      await bridge.runDeliveries();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    bridge.slack.delays.clear();
    for (const conversationId of conversations) expect(threadOf(conversationId), conversationId).toEqual(['transcript', 'message']);
    expect(bridge.queued().deadLetters.filter((body) => conversations.some((id) => body.includes(id)))).toEqual([]);
  }, 60_000);
});

describe('POST /botpress/message', () => {
  async function openConversation(customer?: { name?: string }, conversationId = newConversationId()) {
    const opened = await call('/botpress/handoff', handoffBody(conversationId, { customer }));
    await bridge.runDeliveries();
    bridge.slack.calls.length = 0;
    return { conversationId, threadTs: opened.body.threadTs as string };
  }

  it('posts the text in the thread as the customer and refreshes the TTL of a handoff last active hours ago', async () => {
    // Prepare: a handoff opened two hours ago (its expiry is two hours short of a full lifetime).
    const conversationId = newConversationId();
    const threadTs = `1717500000.${String(n).padStart(6, '0')}`;
    const twoHoursAgo = new ThreadStore({ client: bridge.dynamo.documentClient, tableName: bridge.dynamo.tableName, ttlSeconds: 7 * 24 * 3600, now: () => Date.now() - 2 * 3600 * 1000 });
    await seedHandoff(twoHoursAgo, conversationId, threadTs);
    const expiresAt = async () =>
      (await bridge.dynamo.documentClient.send(new GetCommand({ TableName: bridge.dynamo.tableName, Key: { pk: conversationKey(conversationId) } }))).Item!.expiresAt as number;
    const before = await expiresAt();

    const response = await call('/botpress/message', { conversationId, text: 'Order 1234 <@U061F7AUR> & co', messageId: 'm-1' });

    expect(response).toEqual({ status: 200, body: { handoffActive: true } });
    expect(bridge.slack.calls).toHaveLength(0);
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage')).toEqual([
      expect.objectContaining({
        args: {
          channel: SUPPORT_CHANNEL_ID,
          thread_ts: threadTs,
          text: 'Order 1234 &lt;@U061F7AUR&gt; &amp; co',
          username: 'Jane Customer (customer)',
          icon_emoji: ':bust_in_silhouette:',
          unfurl_links: 'false',
          // Its id, by which a retry finds it should Slack take it without answering in time.
          metadata: { event_type: 'hitl_bridge_post', event_payload: { post_id: expect.any(String) as string } },
        },
      }),
    ]);
    expect(await expiresAt()).toBeGreaterThanOrEqual(before + 2 * 3600 - 5);
  });

  it('reads a base64-encoded body as the UTF-8 text it encodes', async () => {
    const { conversationId } = await openConversation({});
    const event = botpressRequest('/botpress/message', { conversationId, text: 'Grüße — 你好 👋' });
    const response = await handler({ ...event, body: Buffer.from(event.body!, 'utf8').toString('base64'), isBase64Encoded: true });

    expect(response.statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage')[0]?.args.text).toBe('Grüße — 你好 👋');
  });

  it('posts as "Website visitor" when the name is unknown', async () => {
    const { conversationId } = await openConversation({});
    await call('/botpress/message', { conversationId, text: 'hi' });
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage')[0]?.args.username).toBe('Website visitor');
  });

  it('posts the same messageId once, also when the copies race', async () => {
    const { conversationId } = await openConversation();
    await call('/botpress/message', { conversationId, text: 'once', messageId: 'm-dup' });
    const raced = await Promise.all(Array.from({ length: 5 }, () => call('/botpress/message', { conversationId, text: 'once', messageId: 'm-race' })));
    await call('/botpress/message', { conversationId, text: 'once', messageId: 'm-dup' });
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(raced.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("waits out Slack's per-channel limit (429 Retry-After), answering Botpress at once, and posts every message in order", async () => {
    const { conversationId } = await openConversation();
    bridge.slack.postLimit = { perSecond: 1, burst: 1 };
    const texts = ['one', 'two', 'three'];
    for (const text of texts) expect(await call('/botpress/message', { conversationId, text, messageId: `rl-${text}` })).toEqual({ status: 200, body: { handoffActive: true } });
    for (let attempt = 0; attempt < 10 && bridge.slack.callsTo('chat.postMessage').length < 3; attempt += 1) {
      await bridge.runDeliveries();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(bridge.slack.rateLimited.length).toBeGreaterThan(0);
    expect(bridge.slack.callsTo('chat.postMessage').map((posted) => posted.args.text)).toEqual(texts);
  });

  it("gives up at once on a refusal (the app removed from the channel): the customer's message goes to the dead-letter queue and the bot hears, so that the customer does", async () => {
    const { conversationId } = await openConversation();
    bridge.slack.failing.set('chat.postMessage', 'not_in_channel');
    expect((await call('/botpress/message', { conversationId, text: 'hello?', messageId: 'lost-1' })).body).toEqual({ handoffActive: true });
    await bridge.runDeliveries();
    expect(bridge.queued().deadLetters.some((body) => body.includes('"lost-1"'))).toBe(true);
    expect(bridge.botpress.deliveredBodies()).toEqual([
      { type: 'customer_message_failed', eventId: expect.any(String) as string, conversationId, messageId: 'lost-1' },
    ]);
  });

  it('posts a 40,000-character message whole, in order, split at line ends into posts Slack takes', async () => {
    const { conversationId } = await openConversation();
    const lines = Array.from({ length: 2_500 }, (_, i) => `${String(i).padStart(4, '0')} <&> a line`);
    const text = lines.join('\n');
    expect(text.length).toBe(39_999);
    expect(await call('/botpress/message', { conversationId, text, messageId: 'long-1' })).toEqual({ status: 200, body: { handoffActive: true } });
    await bridge.runDeliveries();
    const posts = bridge.slack.callsTo('chat.postMessage').map((post) => String(post.args.text));
    expect(posts.length).toBeGreaterThan(1);
    expect(posts.every((post) => post.length <= 40_000)).toBe(true);
    expect(posts.slice(0, -1).every((post) => post.endsWith('\n'))).toBe(true);
    expect(posts.join('')).toBe(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });

  it('tells apart messages whose conversation and message ids would join alike (c#x + m1, c + x#m1): both are posted', async () => {
    const base = newConversationId();
    const first = await openConversation({}, `${base}#x`);
    const second = await openConversation({}, base);
    await call('/botpress/message', { conversationId: first.conversationId, text: 'to c#x', messageId: 'm1' });
    await call('/botpress/message', { conversationId: second.conversationId, text: 'to c', messageId: 'x#m1' });
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage').map((post) => [post.args.thread_ts, post.args.text])).toEqual([
      [first.threadTs, 'to c#x'],
      [second.threadTs, 'to c'],
    ]);
  });

  it('answers handoffActive: false and posts nothing when no handoff was ever opened', async () => {
    expect(await call('/botpress/message', { conversationId: 'never-opened', text: 'hello' })).toEqual({ status: 200, body: { handoffActive: false } });
    expect(bridge.queued().deliveries.filter((body) => body.includes('never-opened'))).toEqual([]);
  });

  it('answers 400 naming a missing text', async () => {
    expect(await call('/botpress/message', { conversationId: 'c' })).toEqual({ status: 400, body: { error: 'bad_request', problems: ['text: is required (or files)'] } });
  });
});

describe('POST /botpress/end', () => {
  it('closes the handoff, notes it in the thread and marks the card as ended; idempotent', async () => {
    const conversationId = newConversationId();
    const opened = await call('/botpress/handoff', handoffBody(conversationId));
    bridge.slack.calls.length = 0;

    expect(await call('/botpress/end', { conversationId, reason: 'timeout' })).toEqual({ status: 200, body: { status: 'closed' } });
    await bridge.runDeliveries();
    const update = bridge.slack.callsTo('chat.update');
    expect(update).toHaveLength(1);
    expect(update[0]!.args).toMatchObject({ channel: SUPPORT_CHANNEL_ID, ts: opened.body.threadTs });
    expect(JSON.stringify(update[0]!.args.blocks)).toContain('Ended: the conversation timed out');
    expect(buttonsOf(update[0]!.args.blocks)).toEqual([]);
    expect(bridge.slack.callsTo('chat.postMessage')).toEqual([
      expect.objectContaining({ args: { channel: SUPPORT_CHANNEL_ID, thread_ts: opened.body.threadTs, text: ':door: The conversation timed out. Replies here no longer reach the customer.' } }),
    ]);

    bridge.slack.calls.length = 0;
    expect(await call('/botpress/end', { conversationId, reason: 'timeout' })).toEqual({ status: 200, body: { status: 'closed' } });
    expect(await call('/botpress/end', { conversationId: 'never-opened', reason: 'user_ended' })).toEqual({ status: 200, body: { status: 'closed' } });
    await bridge.runDeliveries();
    expect(bridge.slack.calls).toHaveLength(0);
    // The bot takes over again.
    expect((await call('/botpress/message', { conversationId, text: 'anyone?' })).body).toEqual({ handoffActive: false });
  });

  it('lets the conversation be handed off again afterwards, in a new thread', async () => {
    const conversationId = newConversationId();
    const first = await call('/botpress/handoff', handoffBody(conversationId));
    await call('/botpress/end', { conversationId, reason: 'user_ended' });
    const second = await call('/botpress/handoff', handoffBody(conversationId));
    expect(second.body.status).toBe('created');
    expect(second.body.threadTs).not.toBe(first.body.threadTs);
  });
});

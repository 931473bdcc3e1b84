import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../shared/platform/http';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT, BRIDGE_BOT_USER, SUPPORT_CHANNEL, THREAD_TS } from '../fixtures/slack-events';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * Whatever a sender puts in a body that passes authentication, both functions
 * answer: 200 when they act on it or choose to ignore it, 400 naming what is
 * wrong. Never a 5xx: Slack retries a failed event and disables an app that
 * fails too often, and a crash would say nothing. The generators lean towards the shapes the bridge reads
 * (with any JSON where a field is expected), so that deep paths are reached.
 */
type Handler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let bridge: BridgeHarness;
let slackEvents: Handler;
let botpressCallbacks: Handler;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  slackEvents = await bridge.loadHandler('../../functions/slack-events/handler');
  botpressCallbacks = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
});
afterAll(() => bridge.close());

const RUNS = { numRuns: 150 };
/** Mostly a plausible value for the field, sometimes any JSON at all. */
const fieldOr = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: fc.jsonValue() });
/** As fieldOr, broken less often: for the fields that lead to the others, lest too few samples get past them. */
const usuallyOr = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: plausible }, { weight: 1, arbitrary: fc.jsonValue() });
const ts = fc.integer({ min: 1_700_000_000, max: 1_800_000_000 }).map((seconds) => `${seconds}.000100`);

/** Absent most of the time, as on most real events; otherwise plausible or any JSON. */
const rarely = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fieldOr(plausible) });

const messageEvent = fc.record({
  type: usuallyOr(fc.constantFrom('message', 'message', 'message', 'app_mention')),
  text: fieldOr(fc.string({ maxLength: 40 })),
  user: fieldOr(fc.constantFrom(AGENT, AGENT, AGENT, BRIDGE_BOT_USER)),
  channel: fieldOr(fc.constant(SUPPORT_CHANNEL)),
  ts: fieldOr(ts),
  thread_ts: fieldOr(fc.oneof(fc.constant(THREAD_TS), ts)),
  subtype: rarely(fc.constantFrom('thread_broadcast', 'file_share', 'message_changed', 'bot_message')),
  bot_id: rarely(fc.constant('B0OTHER01')),
  app_id: rarely(fc.constant('A0OTHER01')),
  hidden: rarely(fc.boolean()),
});

const eventsBody = fc.oneof(
  fc.string(),
  fc.json(),
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: usuallyOr(fc.constantFrom('event_callback', 'event_callback', 'event_callback', 'url_verification', 'app_rate_limited')),
        event_id: usuallyOr(fc.string({ minLength: 1, maxLength: 12 }).map((id) => `Ev${id}`)),
        event: usuallyOr(messageEvent),
        challenge: rarely(fc.string()),
        authorizations: rarely(fc.array(fc.record({ user_id: fieldOr(fc.constant(BRIDGE_BOT_USER)), is_bot: fieldOr(fc.boolean()) }), { maxLength: 2 })),
      })
      .map((body) => JSON.stringify(body)),
  },
);

const OPEN_CONVERSATION = 'conv-any-open';

const interactionsBody = fc.oneof(
  fc.string(),
  fc.json().map((json) => `payload=${encodeURIComponent(json)}`),
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: usuallyOr(fc.constantFrom('block_actions', 'block_actions', 'block_actions', 'view_submission', 'shortcut')),
        user: usuallyOr(fc.record({ id: usuallyOr(fc.constant(AGENT)) })),
        container: usuallyOr(fc.record({ channel_id: usuallyOr(fc.constant(SUPPORT_CHANNEL)), message_ts: usuallyOr(fc.oneof({ weight: 3, arbitrary: fc.constant(THREAD_TS) }, { weight: 1, arbitrary: ts })) })),
        actions: usuallyOr(
          fc.array(
            fc.record({
              action_id: usuallyOr(fc.constantFrom(CLAIM_ACTION_ID, CLAIM_ACTION_ID, CLAIM_ACTION_ID, RESOLVE_ACTION_ID, '__proto__', 'toString', 'other')),
              value: usuallyOr(
                fc.oneof(
                  { weight: 3, arbitrary: fc.constant(OPEN_CONVERSATION) },
                  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((id) => `conv-any-${id}`) },
                ),
              ),
            }),
            { minLength: 1, maxLength: 2 },
          ),
        ),
      })
      .map((payload) => `payload=${encodeURIComponent(JSON.stringify(payload))}`),
  },
);

const botpressBody = fc.oneof(
  fc.string(),
  fc.json(),
  {
    weight: 6,
    arbitrary: fc
      .record({
        conversationId: fieldOr(fc.string({ minLength: 1, maxLength: 12 }).map((id) => `conv-any-bp-${id}`)),
        userId: fieldOr(fc.constant('bp-user-1')),
        summary: fieldOr(fc.string({ minLength: 1, maxLength: 40 })),
        text: fieldOr(fc.string({ minLength: 1, maxLength: 40 })),
        messageId: rarely(fc.string({ minLength: 1, maxLength: 12 })),
        reason: rarely(fc.constantFrom('user_ended', 'timeout')),
        customer: rarely(fc.record({ name: fieldOr(fc.string({ maxLength: 20 })), email: fieldOr(fc.emailAddress()) }, { requiredKeys: [] })),
        transcript: rarely(fc.array(fc.record({ role: fieldOr(fc.constantFrom('user', 'bot')), text: fieldOr(fc.string({ maxLength: 20 })) }), { maxLength: 3 })),
      })
      .map((body) => JSON.stringify(body)),
  },
);

/** Statuses seen per test: both must occur, or the generators never reached past the parser. */
const seen = new Set<number>();

function expectAnAnswer(response: HttpResponse): void {
  seen.add(response.statusCode);
  expect([200, 400]).toContain(response.statusCode);
  if (response.statusCode === 400) {
    const body = JSON.parse(response.body ?? '') as { error: string; problems: string[] };
    expect(body.error).toBe('bad_request');
    expect(body.problems.length).toBeGreaterThan(0);
  }
}

describe('any authenticated body gets 200 or a 400 naming the problem, never a 5xx (property)', () => {
  beforeEach(() => seen.clear());
  afterEach(() => expect([...seen].sort()).toEqual([200, 400]));

  it('POST /slack/events', async () => {
    const noticesBefore = bridge.slack.callsTo('chat.postEphemeral').length;
    await fc.assert(fc.asyncProperty(eventsBody, async (body) => expectAnAnswer(await slackEvents(signedSlackRequest(body)))), { numRuns: 300 });
    await bridge.runDeliveries();
    // Some generated replies went all the way: to a thread the bridge does not know, so the agent was told.
    expect(bridge.slack.callsTo('chat.postEphemeral').length).toBeGreaterThan(noticesBefore);
  });

  it('POST /slack/interactions', async () => {
    // One live handoff for the generated button presses to act on, on the fixtures' thread.
    await seedHandoff(bridge.store, OPEN_CONVERSATION, THREAD_TS);
    const toldBefore = bridge.botpress.deliveredBodies().length;
    await fc.assert(
      fc.asyncProperty(interactionsBody, async (body) =>
        expectAnAnswer(await slackEvents(signedSlackRequest(body, { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }))),
      ),
      { numRuns: 300 },
    );
    await bridge.runDeliveries();
    // Some generated presses went all the way: Claim or Resolve on the live handoff, which Botpress was told of.
    expect(bridge.botpress.deliveredBodies().length).toBeGreaterThan(toldBefore);
  });

  it.each(['/botpress/handoff', '/botpress/message', '/botpress/end'])('POST %s', async (path) => {
    await fc.assert(fc.asyncProperty(botpressBody, async (body) => expectAnAnswer(await botpressCallbacks(botpressRequest(path, body)))), RUNS);
  });
});

describe('any message on the delivery queue is delivered, retried or kept in the dead-letter queue, never a failed invocation (property)', () => {
  const jobLike = fc.record(
    {
      kind: usuallyOr(fc.constantFrom('agent-reply', 'agent-action', 'customer-message', 'card', 'note', 'private-notice', 'thread-intro', 'open-thread', 'handoff-failed')),
      key: fieldOr(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 3 })),
      conversationId: fieldOr(fc.constantFrom(OPEN_CONVERSATION, 'conv-any-queue-unknown')),
      text: fieldOr(fc.string({ maxLength: 20 })),
      channelId: fieldOr(fc.constant(SUPPORT_CHANNEL)),
      threadTs: fieldOr(fc.constant(THREAD_TS)),
      userId: fieldOr(fc.constant(AGENT)),
      reservation: rarely(fc.uuid()),
      reply: rarely(fc.record({ eventId: fc.constant('Ev1'), channelId: fc.constant(SUPPORT_CHANNEL), threadTs: fc.constant(THREAD_TS), messageTs: ts, userId: fc.constant(AGENT), markup: fc.string({ maxLength: 20 }) })),
    },
    { requiredKeys: ['kind'] },
  );
  const queueBody = fc.oneof(fc.string({ minLength: 1 }).filter((text) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/u.test(text)), fc.json(), { weight: 6, arbitrary: jobLike.map((job) => JSON.stringify(job)) });

  it('the delivery function', async () => {
    const sqs = await import('@aws-sdk/client-sqs');
    const client = new sqs.SQSClient({ endpoint: bridge.sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(queueBody, async (body) => {
          n += 1;
          await client.send(new sqs.SendMessageCommand({ QueueUrl: bridge.queues.deliveries.url, MessageBody: body, MessageGroupId: `any-${n}`, MessageDeduplicationId: `any-${n}` }));
          // runDeliveries fails on a failed invocation (a throw, a malformed report), as Lambda would retry the whole batch.
          await bridge.runDeliveries();
        }),
        { numRuns: 100 },
      );
    } finally {
      client.destroy();
    }
    // Some were no job at all, and went to the dead-letter queue.
    expect(bridge.queued().deadLetters.length).toBeGreaterThan(0);
  });
});

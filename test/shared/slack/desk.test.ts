import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDeliveryQueues, startEmbeddedSqs, type DeliveryQueues, type EmbeddedSqs } from '../../../local/embedded-sqs';
import type { HandoffRequest } from '../../../shared/botpress/contract';
import { decodeJob } from '../../../shared/domain/delivery/jobs';
import { MemoryReminderTimer } from '../../support/memory-ports';
import { createSqsClient, sqsDeliveryQueue, type DeliveryQueue } from '../../../shared/aws/sqs-queue';
import { DownstreamError, PermanentDownstreamError } from '../../../shared/platform/errors';
import { endHandoff, forwardCustomerMessage, openHandoff, type HandoffDependencies } from '../../../shared/domain/handoffs';
import { createSlackClient } from '../../../shared/slack/client';
import { SlackPacer, slackDesk } from '../../../shared/slack/desk';

/** These tests are about what the desk posts, not its pace (test/shared/slack/shared-pace.test.ts): Slack's limit is the stand-in's alone. */
const UNPACED = { intervalMs: 1, burst: 1_000 };
import { escapeSlackText } from '../../../shared/slack/render/markup';
import { UserDirectory } from '../../../shared/slack/users';
import { ThreadStore } from '../../../shared/aws/handoff-store';
import { seedHandoff } from '../../support/bridge-harness';
import { startLocalDynamo, type LocalDynamo } from '../../support/dynalite';
import { startSlackStandIn, type SlackStandIn } from '../../support/slack-stand-in';

/*
 * The domain's handoffs on the real adapters: the desk on the Slack stand-in,
 * the store on dynalite, the queue on the embedded SQS. The domain's own rules
 * are tested against in-memory ports (test/shared/domain).
 */
const CHANNEL = 'C0SUPPORT1';
let dynamo: LocalDynamo;
let slack: SlackStandIn;
let sqs: EmbeddedSqs;
let queues: DeliveryQueues;
let queue: DeliveryQueue;
let store: ThreadStore;
const logged: { message: string; context: Record<string, unknown> }[] = [];
const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (message: string, context: Record<string, unknown>) => logged.push({ message, context }) };

beforeAll(async () => {
  [dynamo, slack, sqs] = await Promise.all([startLocalDynamo(), startSlackStandIn(), startEmbeddedSqs()]);
  store = new ThreadStore({ client: dynamo.documentClient, tableName: dynamo.tableName, ttlSeconds: 3600 });
  const client = createSqsClient({ endpoint: sqs.endpoint });
  queues = await ensureDeliveryQueues(client, 'handoffs-test');
  queue = sqsDeliveryQueue(client, queues.deliveries.url);
});
afterAll(() => Promise.all([dynamo.close(), slack.close(), sqs.close()]));
beforeEach(() => {
  slack.calls.length = 0;
  slack.failing.clear();
  slack.postLimit = undefined;
  logged.length = 0;
});

function dependencies(overrides: Partial<HandoffDependencies> = {}): HandoffDependencies {
  return {
    store,
    queue,
    desk: slackDesk({
      slack: () => createSlackClient({ token: 'xoxb-handoffs-test', slackApiUrl: slack.apiUrl }),
      users: new UserDirectory(),
      pacer: new SlackPacer(UNPACED),
      logger,
    }),
    supportChannelId: CHANNEL,
    queueChannels: new Map<string, string>(),
    logger,
    queuedOpeningMs: 15 * 60_000,
    reminders: { intervalMs: 0, timer: new MemoryReminderTimer() },
    ...overrides,
  };
}

let n = 0;
const handoffRequest = (): HandoffRequest => ({
  conversationId: `conv-handoffs-${(n += 1)}`,
  userId: 'bp-user-1',
  summary: 'Wants a refund',
  transcript: [{ role: 'user', text: 'I was charged twice' }],
});
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const jobsFor = (conversationId: string) =>
  sqs
    .messages(queues.deliveries.url.split('/').at(-1)!)
    .map((message) => decodeJob(message.body))
    .filter((job) => 'conversationId' in job && job.conversationId === conversationId);

describe('openHandoff', () => {
  it('posts the card, queues the introduction to the thread (the transcript), then opens the handoff', async () => {
    const request = handoffRequest();
    const opened = await openHandoff(request, dependencies());
    expect(opened).toMatchObject({ status: 'created', channelId: CHANNEL });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(jobsFor(request.conversationId)).toEqual([
      expect.objectContaining({ kind: 'thread-intro', channelId: CHANNEL, threadTs: (opened as { threadTs: string }).threadTs, transcript: request.transcript, omittedLines: 0 }),
    ]);
  });

  it('queues the card when Slack cannot take it now (429): the answer is "queued", and asking again posts nothing', async () => {
    const request = handoffRequest();
    slack.postLimit = { perSecond: 1, burst: 0 };
    expect(await openHandoff(request, dependencies())).toEqual({ status: 'queued' });
    expect(slack.rateLimited).not.toHaveLength(0);
    // The card first, then the transcript for whichever thread it opens, then whatever the customer writes.
    expect(jobsFor(request.conversationId).map((job) => job.kind)).toEqual(['open-thread', 'thread-intro']);
    expect(await store.findByConversation(request.conversationId)).toEqual({ state: 'opening', conversationId: request.conversationId, queued: true });

    slack.postLimit = undefined;
    expect(await openHandoff(request, dependencies())).toEqual({ status: 'queued' });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('gives the reservation back and reports a refusal retrying cannot change, with its fix', async () => {
    const request = handoffRequest();
    slack.failing.set('chat.postMessage', 'not_in_channel');
    const error = await failure(openHandoff(request, dependencies()));
    expect(error).toBeInstanceOf(PermanentDownstreamError);
    expect(error).toMatchObject({ service: 'slack', code: 'not_in_channel', fix: expect.stringContaining('/invite') as string });
    expect(jobsFor(request.conversationId)).toEqual([]);
    slack.failing.clear();
    expect((await openHandoff(request, dependencies())).status).toBe('created');
  });

  it('reports the Slack refusal, not the store’s failure, when the reservation cannot be given back either (its lease runs out)', async () => {
    const storeDown = new DownstreamError('dynamodb', 'abandon reservation failed');
    const failingStore = Object.assign(Object.create(store) as ThreadStore, { abandon: () => Promise.reject(storeDown) });
    slack.failing.set('chat.postMessage', 'channel_not_found');
    const error = await failure(openHandoff(handoffRequest(), dependencies({ store: failingStore })));
    expect(error).toMatchObject({ service: 'slack', code: 'channel_not_found' });
    expect(logged).toEqual([{ message: 'could not give the handoff reservation back', context: expect.objectContaining({ error: storeDown }) as unknown }]);
  });

  it('takes the card down and gives the reservation back when the handoff cannot be stored, so that Botpress’s retry opens one live thread', async () => {
    const request = handoffRequest();
    const storeDown = new DownstreamError('dynamodb', 'activate handoff failed');
    let card: string | undefined;
    const failingStore = Object.assign(Object.create(store) as ThreadStore, {
      activate: (_conversationId: string, _token: string, thread: { threadTs: string }) => {
        card = thread.threadTs;
        return Promise.reject(storeDown);
      },
    });

    expect(await failure(openHandoff(request, dependencies({ store: failingStore })))).toBe(storeDown);
    expect(slack.callsTo('chat.delete')).toMatchObject([{ args: { channel: CHANNEL, ts: card } }]);

    const retried = await openHandoff(request, dependencies());
    expect(retried).toMatchObject({ status: 'created' });
    expect((retried as { threadTs: string }).threadTs).not.toBe(card);
    expect(await store.findThreadOf(request.conversationId)).toMatchObject({ threadTs: (retried as { threadTs: string }).threadTs });
  });

  it('keeps the card when the write did land and only its answer was lost: the retry finds the handoff open on it', async () => {
    const request = handoffRequest();
    const lostAnswer = new DownstreamError('dynamodb', 'activate handoff failed');
    let card: string | undefined;
    const lossyStore = Object.assign(Object.create(store) as ThreadStore, {
      activate: async (...args: Parameters<ThreadStore['activate']>) => {
        card = args[2].threadTs;
        await store.activate(...args);
        throw lostAnswer;
      },
    });

    expect(await failure(openHandoff(request, dependencies({ store: lossyStore })))).toBe(lostAnswer);
    expect(slack.callsTo('chat.delete')).toHaveLength(0);

    expect(await openHandoff(request, dependencies())).toEqual({ status: 'already_open', channelId: CHANNEL, threadTs: card });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('forwardCustomerMessage', () => {
  it('queues the message behind the card while the handoff is queued, and answers that the handoff is on', async () => {
    const request = handoffRequest();
    slack.postLimit = { perSecond: 1, burst: 0 };
    await openHandoff(request, dependencies());
    expect(await forwardCustomerMessage({ conversationId: request.conversationId, text: 'Anyone?', messageId: 'm1' }, dependencies())).toEqual({ handoffActive: true, queued: true });
    expect(jobsFor(request.conversationId).map((job) => job.kind)).toEqual(['open-thread', 'thread-intro', 'customer-message']);
  });

  it('answers handoffActive: false and queues nothing when there is no handoff', async () => {
    expect(await forwardCustomerMessage({ conversationId: 'conv-never', text: 'Hello?' }, dependencies())).toEqual({ handoffActive: false, queued: false });
    expect(jobsFor('conv-never')).toEqual([]);
  });
});

describe('endHandoff', () => {
  it('undoes the end when its card update and note cannot be queued, so that Botpress’s retry ends it again and the agents hear', async () => {
    const conversationId = `conv-end-${(n += 1)}`;
    await seedHandoff(store, conversationId, `1717549332.${String(n).padStart(6, '0')}`, CHANNEL);
    const queueDown = new DownstreamError('sqs', 'send delivery failed');
    const error = await failure(endHandoff({ conversationId, reason: 'timeout' }, dependencies({ queue: { enqueue: () => Promise.reject(queueDown) } })));
    expect(error).toBe(queueDown);
    expect((await store.findThreadOf(conversationId))?.state).toBe('open');

    expect(await endHandoff({ conversationId, reason: 'timeout' }, dependencies())).toEqual({ status: 'closed', changed: true });
    expect(jobsFor(conversationId).map((job) => job.kind)).toEqual(['card', 'note']);
  });
});

describe('the Slack desk, on the Slack stand-in', () => {
  const desk = () =>
    slackDesk({ slack: () => createSlackClient({ token: 'xoxb-desk-test', slackApiUrl: slack.apiUrl }), users: new UserDirectory(), pacer: new SlackPacer(UNPACED), logger });

  it('marks a message with its reaction once, taking Slack’s already_reacted as done', async () => {
    const message = { channelId: CHANNEL, messageTs: '1717800000.000100' };
    await desk().react(message, 'kept-internal');
    await desk().react(message, 'kept-internal');
    expect(slack.callsTo('reactions.add').map((call) => call.args)).toEqual([
      { channel: CHANNEL, timestamp: message.messageTs, name: 'lock' },
      { channel: CHANNEL, timestamp: message.messageTs, name: 'lock' },
    ]);
    expect([...slack.reactions]).toContain(`${CHANNEL}:${message.messageTs}:lock`);
  });

  it('reports a reaction Slack refuses for good with its fix (an app installed without reactions:write)', async () => {
    slack.scopes.delete('reactions:write');
    try {
      await expect(desk().react({ channelId: CHANNEL, messageTs: '1717800000.000200' }, 'kept-internal')).rejects.toMatchObject({
        constructor: PermanentDownstreamError,
        code: 'missing_scope',
        fix: expect.stringContaining('slack-app-manifest.yaml') as string,
      });
    } finally {
      slack.scopes.add('reactions:write');
    }
  });
});

describe('any text the customer or the bot can send, through the real Slack client', () => {
  const desk = () =>
    slackDesk({ slack: () => createSlackClient({ token: 'xoxb-desk-test', slackApiUrl: slack.apiUrl }), users: new UserDirectory(), pacer: new SlackPacer(UNPACED), logger });
  const thread = { channelId: CHANNEL, threadTs: '1717900000.000001' };
  const posted = async (text: string) => {
    slack.calls.length = 0;
    await desk().postInThread(thread, { kind: 'customer-text', customerName: 'Ana', text });
    return slack.callsTo('chat.postMessage').map((call) => String(call.args.text));
  };

  it.each([
    ['a lone high surrogate at the end', 'Thanks \ud83d', 'Thanks \ufffd'],
    ['a lone surrogate mid-text, swallowing nothing', 'E\ud800N', 'E\ufffdN'],
    ['a lone low surrogate', '\udc00x', '\ufffdx'],
    ['an RTL override and controls', 'a\u202Eb\u0007c', 'a\u202Eb\u0007c'],
  ])('posts %s, with invalid code units replaced', async (_case, text, expected) => {
    expect(await posted(text)).toEqual([expected]);
  });

  it('posts 40,000 characters of emoji whole, in parts Slack takes', async () => {
    const text = '😀'.repeat(20_000);
    const parts = await posted(text);
    expect(parts.join('')).toBe(text);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(40_000);
  });

  it('posts random UTF-16 whole: escaped, invalid units replaced, nothing lost or added', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 300 }).filter((text) => text.trim() !== ''), async (text) => {
        const parts = await posted(text);
        expect(parts.join('')).toBe(escapeSlackText(text.toWellFormed()));
        for (const part of parts) expect(part.isWellFormed()).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

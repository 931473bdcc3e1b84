import { beforeEach, describe, expect, it } from 'vitest';
import type { HandoffRequest } from '../../../shared/domain/requests';
import { endHandoff, forwardCustomerMessage, openHandoff, type HandoffDependencies } from '../../../shared/domain/handoffs';
import { DownstreamError, PermanentDownstreamError } from '../../../shared/platform/errors';
import { MemoryDesk, MemoryHandoffStore, MemoryQueue, MemoryReminderTimer, quietLog } from '../../support/memory-ports';

/* The domain's handoffs against in-memory ports: what it asks of the desk, the store and the queue, and in what order. */
const CHANNEL = 'C-DESK';
let desk: MemoryDesk;
let store: MemoryHandoffStore;
let queue: MemoryQueue;
let deps: HandoffDependencies;
let timer: MemoryReminderTimer;
let n = 0;

beforeEach(() => {
  desk = new MemoryDesk();
  store = new MemoryHandoffStore();
  queue = new MemoryQueue();
  timer = new MemoryReminderTimer();
  deps = {
    store,
    queue,
    desk,
    supportChannelId: CHANNEL,
    queueChannels: new Map([['billing', 'C0BILLING']]),
    logger: quietLog,
    queuedOpeningMs: 15 * 60_000,
    sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
    reminders: { intervalMs: 5 * 60_000, timer },
  };
});

const request = (overrides: Partial<HandoffRequest> = {}): HandoffRequest => ({
  conversationId: `conv-${(n += 1)}`,
  userId: 'bp-user',
  summary: 'Wants a refund',
  transcript: [{ role: 'user', text: 'I was charged twice' }],
  ...overrides,
});

describe('openHandoff', () => {
  it('posts the card in the support channel, queues the intro for its thread, then opens the handoff on it', async () => {
    // Prepare
    const asked = request({ customer: { name: 'Ada', email: 'ada@example.com' } });
    // Act
    const result = await openHandoff(asked, deps);
    // Assess
    expect(result).toEqual({ status: 'created', channelId: CHANNEL, threadTs: expect.any(String) as string });
    const threadTs = result.status === 'created' ? result.threadTs : '';
    expect(desk.cards.get(threadTs)).toMatchObject({ channelId: CHANNEL, view: { state: 'open', summary: 'Wants a refund', customerName: 'Ada', customerEmail: 'ada@example.com' } });
    expect(queue.jobs).toEqual([expect.objectContaining({ kind: 'thread-intro', channelId: CHANNEL, threadTs, transcript: asked.transcript })]);
    expect(await store.findThreadOf(asked.conversationId)).toMatchObject({ state: 'open', threadTs });
  });

  it('opens one handoff of many asked at once, and answers the others with its thread', async () => {
    const asked = request();
    const results = await Promise.all(Array.from({ length: 10 }, () => openHandoff(asked, deps)));
    expect(desk.cards.size).toBe(1);
    expect(results.filter((result) => result.status === 'created')).toHaveLength(1);
    const threads = new Set(results.map((result) => (result.status === 'queued' ? 'queued' : result.threadTs)));
    expect(threads).toEqual(new Set([[...desk.cards.keys()][0]]));
  });

  it('queues the card, then the intro, when the desk cannot take it now; asking again posts nothing', async () => {
    desk.failing.set('postCard', () => new DownstreamError('slack', 'rate limited', { status: 429, retryAfterMs: 1000 }));
    const asked = request();
    expect(await openHandoff(asked, deps)).toEqual({ status: 'queued' });
    expect(await openHandoff(asked, deps)).toEqual({ status: 'queued' });
    expect(queue.jobs.map((job) => job.kind)).toEqual(['open-thread', 'thread-intro']);
    expect(await forwardCustomerMessage({ conversationId: asked.conversationId, text: 'still there?' }, deps)).toEqual({ handoffActive: true, queued: true });
    expect(queue.jobs.map((job) => job.kind)).toEqual(['open-thread', 'thread-intro', 'customer-message']);
  });

  it('reports a refusal for good and gives the reservation back, so that the next attempt can open at once', async () => {
    desk.failing.set('postCard', () => new PermanentDownstreamError('slack', 'not in channel', 'not_in_channel', 'invite the app'));
    const asked = request();
    await expect(openHandoff(asked, deps)).rejects.toMatchObject({ code: 'not_in_channel' });
    expect(await store.findByConversation(asked.conversationId)).toBeUndefined();
    desk.failing.clear();
    expect((await openHandoff(asked, deps)).status).toBe('created');
  });

  it('takes the card down when the handoff cannot be stored, so that no card leads nowhere', async () => {
    const asked = request();
    const activate = store.activate.bind(store);
    store.activate = () => Promise.reject(new DownstreamError('dynamodb', 'activate failed'));
    await expect(openHandoff(asked, deps)).rejects.toBeInstanceOf(DownstreamError);
    expect(desk.removed).toHaveLength(1);
    expect(desk.cards.size).toBe(0);
    store.activate = activate;
    expect((await openHandoff(asked, deps)).status).toBe('created');
  });

  it('keeps an address that is no address, flagged, rather than fail the handoff', async () => {
    const result = await openHandoff(request({ customer: { email: 'not an address' } }), deps);
    const threadTs = result.status === 'created' ? result.threadTs : '';
    expect(desk.cards.get(threadTs)?.view).toMatchObject({ customerEmail: 'not an address', customerEmailInvalid: true });
  });
});

describe('forwardCustomerMessage', () => {
  it('queues the message for an open handoff, keyed by its message id, once', async () => {
    const asked = request();
    await openHandoff(asked, deps);
    queue.drain();
    const message = { conversationId: asked.conversationId, text: 'Here is my order number', messageId: 'm-1' };
    expect(await forwardCustomerMessage(message, deps)).toEqual({ handoffActive: true, queued: true });
    await forwardCustomerMessage(message, deps);
    expect(queue.jobs).toEqual([{ kind: 'customer-message', key: ['botpress-message', asked.conversationId, 'm-1'], conversationId: asked.conversationId, text: 'Here is my order number', messageId: 'm-1' }]);
  });

  it('queues a message written while the card is being posted behind the thread’s intro', async () => {
    const asked = request();
    // The desk answers the card only after the message has come in.
    let answerCard: () => void = () => undefined;
    const postCard = desk.postCard.bind(desk);
    desk.postCard = async (channelId, view, placement) => {
      await new Promise<void>((resolve) => (answerCard = resolve));
      return postCard(channelId, view, placement);
    };
    const opening = openHandoff(asked, deps);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const message = forwardCustomerMessage({ conversationId: asked.conversationId, text: 'still there?', messageId: 'm-1' }, deps);
    await new Promise((resolve) => setTimeout(resolve, 20));
    answerCard();
    expect((await opening).status).toBe('created');
    expect(await message).toEqual({ handoffActive: true, queued: true });
    expect(queue.jobs.map((job) => job.kind)).toEqual(['thread-intro', 'customer-message']);
  });

  it('answers handoffActive: false, queuing nothing, when no handoff is live', async () => {
    expect(await forwardCustomerMessage({ conversationId: 'never-opened', text: 'hello?' }, deps)).toEqual({ handoffActive: false, queued: false });
    expect(queue.jobs).toEqual([]);
  });
});

describe('endHandoff', () => {
  it('closes the handoff once and queues the card update and the ended note, as values the desk words', async () => {
    const asked = request();
    await openHandoff(asked, deps);
    queue.drain();
    expect(await endHandoff({ conversationId: asked.conversationId, reason: 'timeout' }, deps)).toEqual({ status: 'closed', changed: true });
    expect(await endHandoff({ conversationId: asked.conversationId, reason: 'timeout' }, deps)).toEqual({ status: 'closed', changed: false });
    expect(queue.jobs.map((job) => job.kind)).toEqual(['card', 'note']);
    expect(queue.jobs[1]).toMatchObject({ notice: { kind: 'ended', reason: 'timeout' } });
  });

  it('logs the bot’s reason only when it is one of the known codes: a free-text reason is no log line’s business', async () => {
    const asked = request();
    await openHandoff(asked, deps);
    const logged: unknown[] = [];
    const logger = { ...quietLog, info: (...line: unknown[]) => void logged.push(line[1]) };
    await endHandoff({ conversationId: asked.conversationId, reason: 'Customer said: my PIN is 1234' }, { ...deps, logger });
    expect(JSON.stringify(logged)).not.toContain('PIN');
    expect(logged.at(-1)).toMatchObject({ reason: 'other', reasonLength: 29 });
  });

  it('undoes the end when the queue cannot take its notes, so that the bot’s retry ends it again', async () => {
    const asked = request();
    await openHandoff(asked, deps);
    queue.failing = () => new DownstreamError('sqs', 'send failed');
    await expect(endHandoff({ conversationId: asked.conversationId, reason: 'user_ended' }, deps)).rejects.toBeInstanceOf(DownstreamError);
    expect(await store.findThreadOf(asked.conversationId)).toMatchObject({ state: 'open' });
  });
});

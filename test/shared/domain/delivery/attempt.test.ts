import { beforeEach, describe, expect, it } from 'vitest';
import { deliver, RetryDelivery } from '../../../../shared/domain/delivery/attempt';
import type { DeliveryJob } from '../../../../shared/domain/delivery/jobs';
import { dedupeKey } from '../../../../shared/domain/ports';
import { DownstreamError, PermanentDownstreamError } from '../../../../shared/platform/errors';
import { memoryDelivery } from '../../../support/memory-ports';

/* The attempt loop against in-memory ports: retries and their delays, the late and lost notices, giving up, once-only. */
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };
let clock: number;
let deps: Awaited<ReturnType<typeof memoryDelivery>>;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  deps = await memoryDelivery(THREAD, { now: () => clock });
});

const replyJob: DeliveryJob = {
  kind: 'agent-reply',
  key: ['slack-message', THREAD.channelId, '1700000001.000100'],
  conversationId: 'conv-1',
  reply: { eventId: 'Ev1', ...THREAD, messageTs: '1700000001.000100', userId: 'U-AGENT', markup: 'On it' },
};
const attemptAt = (receiveCount: number, queuedAt: number) => ({ id: 'message-1', receiveCount, queuedAt });
const retryOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as RetryDelivery);

describe('deliver', () => {
  it('records the time to first reply once, when the customer got the first reply queued before any had reached them', async () => {
    const { openedAt } = (await deps.store.findThreadOf('conv-1'))!;
    deps.store.now = () => openedAt + 45_000;
    const second = { ...replyJob, key: ['slack-message', THREAD.channelId, '1700000001.000200'], reply: { ...replyJob.reply, eventId: 'Ev2', messageTs: '1700000001.000200' } };
    // Both queued before either was delivered: both carry the hint; the second finds the first noted.
    await deliver({ ...replyJob, firstReply: true }, attemptAt(1, clock), deps);
    deps.store.now = () => openedAt + 50_000;
    await deliver({ ...second, firstReply: true }, attemptAt(1, clock), deps);
    expect(deps.serviceLevels.recorded).toEqual([{ measure: 'time-to-first-reply', ms: 45_000, channelId: THREAD.channelId }]);
  });

  it('never fails a delivered reply for the first-reply note: the store failing there is logged, the reply counts as delivered', async () => {
    deps.store.markFirstReply = () => Promise.reject(new DownstreamError('dynamodb', 'unavailable'));
    expect(await deliver({ ...replyJob, firstReply: true }, attemptAt(1, clock), deps)).toEqual({ outcome: 'delivered' });
    expect(deps.bot.events).toHaveLength(1);
    expect(deps.serviceLevels.recorded).toEqual([]);
  });

  it('delivers once: a second copy of the same job is a duplicate', async () => {
    expect(await deliver(replyJob, attemptAt(1, clock), deps)).toEqual({ outcome: 'delivered' });
    expect(await deliver(replyJob, attemptAt(2, clock), deps)).toEqual({ outcome: 'duplicate' });
    expect(deps.bot.events).toHaveLength(1);
  });

  it.each([
    [1, 2_000],
    [2, 4_000],
    [3, 8_000],
    [7, 60_000],
  ])('retries attempt %i after %i ms, doubling up to a minute', async (receiveCount, delayMs) => {
    deps.bot.failing = () => new DownstreamError('botpress', 'webhook answered 503', { status: 503 });
    const retry = await retryOf(deliver(replyJob, attemptAt(receiveCount, clock), deps));
    expect(retry).toBeInstanceOf(RetryDelivery);
    expect(retry?.delayMs).toBe(delayMs);
  });

  it('honours the service’s Retry-After, and never waits past the give-up time', async () => {
    deps.bot.failing = () => new DownstreamError('botpress', 'rate limited', { status: 429, retryAfterMs: 30_000 });
    expect((await retryOf(deliver(replyJob, attemptAt(1, clock), deps)))?.delayMs).toBe(30_000);
    expect((await retryOf(deliver(replyJob, attemptAt(9, clock - 15 * 60_000 + 5_000), deps)))?.delayMs).toBe(5_000);
  });

  it('tells the agent once when a reply is late, then edits the same notice when it arrives', async () => {
    deps.bot.failing = () => new DownstreamError('botpress', 'webhook unreachable');
    const queuedAt = clock - 59_000;
    const retry = await retryOf(deliver(replyJob, attemptAt(3, queuedAt), deps));
    expect(retry?.noticed).toBe(true);
    expect(deps.desk.posts.map((entry) => entry.post)).toEqual([{ kind: 'notice', notice: { kind: 'late', awaited: { of: 'reply' } } }]);
    await retryOf(deliver(replyJob, attemptAt(4, queuedAt), deps));
    expect(deps.desk.posts).toHaveLength(1);

    deps.bot.failing = undefined;
    clock += 120_000;
    expect(await deliver(replyJob, attemptAt(5, queuedAt), deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.updatedNotices).toEqual([{ noticeId: deps.desk.posts[0]!.id, notice: { kind: 'delivered-late', awaited: { of: 'reply' }, minutesLate: 179_000 / 60_000 } }]);
  });

  it('gives up after the give-up time: the agent reads that the reply was lost, and a later copy may still deliver it', async () => {
    deps.bot.failing = () => new DownstreamError('botpress', 'webhook answered 502', { status: 502 });
    const result = await deliver(replyJob, attemptAt(30, clock - 15 * 60_000), deps);
    expect(result).toMatchObject({ outcome: 'gave-up', reason: expect.stringMatching(/^not delivered within 15 min/) as string });
    expect(deps.desk.posts.map((entry) => entry.post)).toEqual([{ kind: 'notice', notice: { kind: 'lost', awaited: { of: 'reply' } } }]);
    // Released, not done: a redriven copy is delivered.
    deps.bot.failing = undefined;
    expect(await deliver(replyJob, attemptAt(1, clock), deps)).toEqual({ outcome: 'delivered' });
  });

  it('gives up at once on a refusal for good, naming which service refused', async () => {
    deps.bot.failing = () => new PermanentDownstreamError('botpress', 'webhook answered 404', 'http_404', 'set the URL');
    expect(await deliver(replyJob, attemptAt(1, clock), deps)).toMatchObject({ outcome: 'gave-up', refusedBy: 'botpress' });
  });

  it('reports a customer’s lost message to the bot, and a queued card that never posted as a failed handoff', async () => {
    deps.desk.failing.set('postInThread', () => new PermanentDownstreamError('slack', 'not in channel', 'not_in_channel', 'invite the app'));
    const message: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-1', 'm-1'], conversationId: 'conv-1', text: 'hello', messageId: 'm-1' };
    expect(await deliver(message, attemptAt(1, clock), deps)).toMatchObject({ outcome: 'gave-up' });
    expect(deps.queue.jobs).toEqual([{ kind: 'customer-message-failed', key: ['customer-message-failed', 'botpress-message', 'conv-1', 'm-1'], conversationId: 'conv-1', messageId: 'm-1' }]);
  });

  it('gives up at once on a customer message whose handoff never opened: the customer hears', async () => {
    const message: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'never', 'm-1'], conversationId: 'never', text: 'hello' };
    expect(await deliver(message, attemptAt(1, clock), deps)).toMatchObject({ outcome: 'gave-up', reason: expect.stringContaining('no thread') as string });
    expect(deps.queue.jobs.map((job) => job.kind)).toEqual(['customer-message-failed']);
  });

  it('waits for another attempt that holds the delivery rather than do it twice', async () => {
    await deps.ledger.claim(dedupeKey(...replyJob.key));
    expect((await retryOf(deliver(replyJob, attemptAt(1, clock), deps)))?.delayMs).toBe(deps.policy.firstDelayMs);
    expect(deps.bot.events).toEqual([]);
  });
});

describe('deliver, when the desk may have posted without answering', () => {
  const messageJob: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-1', 'm-late'], conversationId: 'conv-1', text: 'Once, please', messageId: 'm-late' };
  const posted = () => deps.desk.posts.filter((entry) => entry.post.kind === 'customer-text' && entry.post.text === 'Once, please');

  it('notes the post as uncertain, and the next attempt looks for it before posting: one post', async () => {
    deps.desk.loseNextAnswer = true;
    expect(await retryOf(deliver(messageJob, attemptAt(1, clock), deps))).toBeInstanceOf(RetryDelivery);
    expect(deps.ledger.records.get(dedupeKey(...messageJob.key))).toMatchObject({ state: 'released', postUncertain: true });
    expect(await deliver(messageJob, attemptAt(2, clock), deps)).toEqual({ outcome: 'delivered' });
    expect(posted()).toHaveLength(1);
  });

  it('looks first after taking over the claim of an attempt that died, whatever it noted', async () => {
    // An attempt that posted and then died (a crash) before it could note anything: its lease has lapsed.
    deps.ledger.records.set(dedupeKey(...messageJob.key), { state: 'pending', token: 'dead', leaseUntil: 0 });
    deps.desk.posts.push({ thread: THREAD, post: { kind: 'customer-text', text: 'Once, please' }, id: 'x', postId: `${dedupeKey(...messageJob.key)}#0` });
    expect(await deliver(messageJob, attemptAt(2, clock), deps)).toEqual({ outcome: 'delivered' });
    expect(posted()).toHaveLength(1);
  });

  it('does not look when the failure was one in which nothing was posted (rate limited)', async () => {
    deps.desk.failing.set('postInThread', () => new DownstreamError('slack', 'rate limited', { retryAfterMs: 3_000 }));
    await retryOf(deliver(messageJob, attemptAt(1, clock), deps));
    expect(deps.ledger.records.get(dedupeKey(...messageJob.key))).not.toHaveProperty('postUncertain', true);
  });
});

describe('deliver, an agent reply the desk delivered again', () => {
  const resent = (messageTs: string): DeliveryJob => ({
    kind: 'agent-reply',
    key: ['slack-message', THREAD.channelId, messageTs],
    conversationId: 'conv-1',
    reply: { eventId: `Ev-${messageTs}`, ...THREAD, messageTs, userId: 'U-AGENT', markup: 'First thought', resent: true },
  });

  it('is marked earlier when someone wrote in the thread after it, and not otherwise; a first delivery is not asked about', async () => {
    deps.desk.written.push({ threadTs: THREAD.threadTs, messageTs: '1700000002.000200' });
    await deliver(resent('1700000002.000100'), attemptAt(1, clock), deps);
    await deliver(resent('1700000002.000300'), attemptAt(1, clock), deps);
    deps.desk.failing.set('writtenAfter', () => new Error('a first delivery must not ask'));
    await deliver(replyJob, attemptAt(1, clock), deps);
    expect(deps.bot.events.map((event) => (event.type === 'agent_message' ? [event.text, event.earlier] : []))).toEqual([
      ['(earlier message) First thought', true],
      ['First thought', undefined],
      ['On it', undefined],
    ]);
  });

  it('goes unmarked, not late, when the desk cannot say', async () => {
    deps.desk.failing.set('writtenAfter', () => new DownstreamError('slack', 'conversations.replies failed'));
    expect(await deliver(resent('1700000002.000100'), attemptAt(1, clock), deps)).toEqual({ outcome: 'delivered' });
    expect(deps.bot.events).toEqual([expect.objectContaining({ text: 'First thought' })]);
  });
});

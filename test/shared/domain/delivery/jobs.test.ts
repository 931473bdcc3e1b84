import { beforeEach, describe, expect, it } from 'vitest';
import { deliver } from '../../../../shared/domain/delivery/attempt';
import { agentMessage } from '../../../../shared/domain/delivery/agent-reply';
import { decodeJob, encodeJob, type DeliveryJob } from '../../../../shared/domain/delivery/jobs';
import { DownstreamError } from '../../../../shared/platform/errors';
import { memoryDelivery } from '../../../support/memory-ports';

/* One job of each kind against in-memory ports: what each asks of the desk and the bot. */
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };
const attempt = { id: 'message-1', receiveCount: 1, queuedAt: Date.now() };
let deps: Awaited<ReturnType<typeof memoryDelivery>>;

beforeEach(async () => {
  deps = await memoryDelivery(THREAD, { customerName: 'Ada' });
});

const reply = { eventId: 'Ev1', ...THREAD, messageTs: '1700000001.000100', userId: 'U-AGENT', markup: 'Try this' };

describe('agent-reply', () => {
  it('hands the bot the normalised reply: { text, userId, channelId, threadTs, conversationId }, with the agent’s name', async () => {
    await deliver({ kind: 'agent-reply', key: ['slack-message', 'C-DESK', reply.messageTs], conversationId: 'conv-1', reply }, attempt, deps);
    expect(deps.bot.events).toEqual([
      {
        type: 'agent_message',
        eventId: 'C-DESK:1700000001.000100',
        text: 'Try this',
        userId: 'U-AGENT',
        channelId: 'C-DESK',
        threadTs: THREAD.threadTs,
        conversationId: 'conv-1',
        messageTs: reply.messageTs,
        agentName: 'name of U-AGENT',
      },
    ]);
  });

  it('keys an edit apart from the reply and marks its text, and leaves out a name the desk did not give', () => {
    const edited = agentMessage({ ...reply, revision: { kind: 'edited', at: '1700000002.000100' } }, 'conv-1', 'Sent today', {});
    expect(edited).toMatchObject({ eventId: 'C-DESK:1700000001.000100:edited:1700000002.000100', text: '(edited) Sent today', edited: true });
    expect(edited).not.toHaveProperty('agentName');
  });

  it('keeps the agent’s file and sends its signed link; a file over the count is refused to the agent, privately', async () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ id: `F${i}` }));
    await deliver({ kind: 'agent-reply', key: ['slack-message', 'C-DESK', reply.messageTs], conversationId: 'conv-1', reply: { ...reply, files } }, attempt, deps);
    const [event] = deps.bot.events;
    expect(event).toMatchObject({ type: 'agent_message', files: expect.any(Array) as unknown[] });
    expect(event?.type === 'agent_message' && event.files?.[0]?.url).toMatch(/^https:\/\/bridge\.example\/files\/F0\/F0\.png\?expires=\d+&signature=/);
    expect(deps.files.store.objects.size).toBe(10);
    expect(deps.desk.told).toEqual([{ thread: expect.objectContaining(THREAD) as object, userId: 'U-AGENT', notice: { kind: 'files-not-sent', files: [{ refused: 'too-many', name: 'F10', max: 10 }] } }]);
  });

  it('tells an agent who deleted a delivered reply that the customer keeps it, and says nothing of one never delivered', async () => {
    const deletion = (messageTs: string): DeliveryJob => ({
      kind: 'agent-reply',
      key: ['slack-message', 'C-DESK', messageTs, 'deleted', '9.9'],
      conversationId: 'conv-1',
      reply: { ...reply, messageTs, markup: '', revision: { kind: 'deleted', at: '9.9' } },
    });
    await deliver({ kind: 'agent-reply', key: ['slack-message', 'C-DESK', reply.messageTs], conversationId: 'conv-1', reply }, attempt, deps);
    expect(await deliver(deletion(reply.messageTs), attempt, deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.told.map((told) => told.notice)).toEqual([{ kind: 'deleted-reply-kept' }]);
    deps.bot.failing = () => new DownstreamError('botpress', 'down');
    await deliver({ kind: 'agent-reply', key: ['slack-message', 'C-DESK', '5.5'], conversationId: 'conv-1', reply: { ...reply, messageTs: '5.5' } }, attempt, deps).catch(() => undefined);
    expect(await deliver(deletion('5.5'), attempt, deps)).toMatchObject({ outcome: 'dropped' });
  });
});

describe('agent-action', () => {
  it('tells the bot of a Claim with the agent’s name, and of a Resolve, and posts nothing in the thread (the card says it)', async () => {
    const action = { conversationId: 'conv-1', agentUserId: 'U-AGENT', ...THREAD };
    await deliver({ kind: 'agent-action', key: ['agent-action', 'claim', 'conv-1', THREAD.threadTs], action: { kind: 'claim', ...action } }, attempt, deps);
    await deliver({ kind: 'agent-action', key: ['agent-action', 'resolve', 'conv-1', THREAD.threadTs], action: { kind: 'resolve', ...action } }, attempt, deps);
    expect(deps.bot.events.map((event) => [event.type, event.eventId])).toEqual([
      ['agent_assigned', `claim:C-DESK:${THREAD.threadTs}`],
      ['handoff_resolved', `resolve:C-DESK:${THREAD.threadTs}`],
    ]);
    expect(deps.bot.events[0]).toMatchObject({ agentName: 'name of U-AGENT' });
    expect(deps.queue.jobs).toEqual([]);
    expect(deps.desk.posts).toEqual([]);
  });
});

describe('customer-message', () => {
  it('posts a long text in the desk’s parts, and an attempt after a failure goes on from the first part not posted', async () => {
    deps.desk.partLength = 10;
    const job: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-1', 'm-1'], conversationId: 'conv-1', text: 'a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(5), messageId: 'm-1' };
    // The first part goes out, then the desk limits the channel: the retry posts the rest, nothing twice.
    deps.desk.partsBeforeFailure = 1;
    deps.desk.partFailure = () => new DownstreamError('slack', 'rate limited', { status: 429, retryAfterMs: 1000 });
    await expect(deliver(job, attempt, deps)).rejects.toMatchObject({ delayMs: 1000 });
    expect(deps.desk.posts).toHaveLength(1);
    expect(await deliver(job, { id: 'message-1', receiveCount: 2, queuedAt: attempt.queuedAt }, deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.threadOf(THREAD.threadTs).map((entry) => (entry.kind === 'customer-text' ? entry.text : entry.kind))).toEqual(['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(5)]);
    expect(deps.desk.threadOf(THREAD.threadTs)[0]).toMatchObject({ customerName: 'Ada' });
  });

  it('says in the thread which file did not come through, and tells the bot of that file only', async () => {
    const job: DeliveryJob = {
      kind: 'customer-message',
      key: ['botpress-message', 'conv-1', 'm-2'],
      conversationId: 'conv-1',
      text: 'see attached',
      messageId: 'm-2',
      files: [{ url: 'ftp://files.example/receipt.pdf', kind: 'file' }],
    };
    expect(await deliver(job, attempt, deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.threadOf(THREAD.threadTs)).toEqual([
      { kind: 'customer-text', customerName: 'Ada', text: 'see attached' },
      { kind: 'notice', notice: { kind: 'customer-file-missing', name: 'receipt.pdf', reason: 'unreachable', maxBytes: 20 * 1024 * 1024 } },
    ]);
    expect(deps.queue.jobs).toEqual([expect.objectContaining({ kind: 'customer-message-failed', messageId: 'm-2', file: { name: 'receipt.pdf', reason: 'unreachable' } })]);
  });
});

describe('card, note, private-notice, thread-intro', () => {
  it('shows the card as the handoff now is, and drops an update for a handoff that is gone', async () => {
    expect(await deliver({ kind: 'card', key: ['card', 'x'], conversationId: 'conv-1' }, attempt, deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.cards.get(THREAD.threadTs)?.view).toMatchObject({ state: 'open', conversationId: 'conv-1' });
    expect(await deliver({ kind: 'card', key: ['card', 'y'], conversationId: 'gone' }, attempt, deps)).toMatchObject({ outcome: 'dropped' });
  });

  it('posts a note and a private notice as the notice values they carry', async () => {
    await deliver({ kind: 'note', key: ['n'], conversationId: 'conv-1', ...THREAD, notice: { kind: 'ended', reason: 'timeout' } }, attempt, deps);
    await deliver({ kind: 'private-notice', key: ['p'], ...THREAD, userId: 'U-AGENT', notice: { kind: 'not-connected' } }, attempt, deps);
    expect(deps.desk.threadOf(THREAD.threadTs)).toEqual([{ kind: 'notice', notice: { kind: 'ended', reason: 'timeout' } }]);
    expect(deps.desk.told.map((told) => told.notice)).toEqual([{ kind: 'not-connected' }]);
  });

  it('posts the intro in the thread it was queued for, and drops it for a thread the conversation has left', async () => {
    const intro = { kind: 'thread-intro', conversationId: 'conv-1', transcript: [{ role: 'user', text: 'hi' }], omittedLines: 0 } as const;
    expect(await deliver({ ...intro, key: ['i', '1'], ...THREAD, transcript: [...intro.transcript] }, attempt, deps)).toEqual({ outcome: 'delivered' });
    expect(await deliver({ ...intro, key: ['i', '2'], channelId: 'C-DESK', threadTs: '1.1', transcript: [...intro.transcript] }, attempt, deps)).toMatchObject({ outcome: 'dropped' });
    expect(deps.desk.threadOf(THREAD.threadTs)).toEqual([{ kind: 'intro', intro: { summary: undefined, transcript: [{ role: 'user', text: 'hi' }], omittedLines: 0 } }]);
  });
});

describe('jobs queued while their handoff opens (the card being posted)', () => {
  it('retries the transcript and a customer message until the thread is stored, then posts both: nothing dropped', async () => {
    const opening = await deps.store.reserve('conv-opening', { botpressUserId: 'bp-user', summary: 's' }, 15_000);
    if (!opening.reserved) throw new Error('not reserved');
    const intro: DeliveryJob = { kind: 'thread-intro', key: ['thread-intro', 'conv-opening', '2.1'], conversationId: 'conv-opening', channelId: 'C-DESK', threadTs: '2.1', transcript: [{ role: 'user', text: 'hi' }] };
    const message: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-opening', 'm-1'], conversationId: 'conv-opening', text: 'are you there?', messageId: 'm-1' };
    await expect(deliver(intro, attempt, deps)).rejects.toMatchObject({ delayMs: 2_000 });
    await expect(deliver(message, attempt, deps)).rejects.toMatchObject({ delayMs: 2_000 });

    await deps.store.activate('conv-opening', opening.token, { channelId: 'C-DESK', threadTs: '2.1' });
    expect(await deliver(intro, { ...attempt, receiveCount: 2 }, deps)).toEqual({ outcome: 'delivered' });
    expect(await deliver(message, { ...attempt, receiveCount: 2 }, deps)).toEqual({ outcome: 'delivered' });
    expect(deps.desk.threadOf('2.1').map((post) => post.kind)).toEqual(['intro', 'customer-text']);
  });

  it('waits within the attempt for a card that is about to be stored, so that the transcript follows it at once', async () => {
    const waiting = await memoryDelivery(THREAD, { openingWaitMs: 2_000 });
    const opening = await waiting.store.reserve('conv-soon', { botpressUserId: 'bp-user', summary: 's' }, 15_000);
    if (!opening.reserved) throw new Error('not reserved');
    const intro: DeliveryJob = { kind: 'thread-intro', key: ['thread-intro', 'conv-soon', '3.1'], conversationId: 'conv-soon', channelId: 'C-DESK', threadTs: '3.1', transcript: [{ role: 'user', text: 'hi' }] };
    const delivered = deliver(intro, attempt, waiting);
    setTimeout(() => void waiting.store.activate('conv-soon', opening.token, { channelId: 'C-DESK', threadTs: '3.1' }), 150);
    expect(await delivered).toEqual({ outcome: 'delivered' });
    expect(waiting.desk.threadOf('3.1').map((post) => post.kind)).toEqual(['intro']);
  });

  it('gives a customer message up, and the customer hears, when the handoff never opened', async () => {
    const opening = await deps.store.reserve('conv-never', { botpressUserId: 'bp-user', summary: 's' }, 15_000);
    if (!opening.reserved) throw new Error('not reserved');
    await deps.store.abandon('conv-never', opening.token);
    const message: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-never', 'm-1'], conversationId: 'conv-never', text: 'hello?', messageId: 'm-1' };
    expect(await deliver(message, attempt, deps)).toMatchObject({ outcome: 'gave-up' });
    expect(deps.queue.jobs).toEqual([expect.objectContaining({ kind: 'customer-message-failed', conversationId: 'conv-never', messageId: 'm-1' })]);
  });
});

describe('open-thread, through the queue', () => {
  it('keeps the queue asked for, so that a card the desk could not take at once opens in that queue’s channel', async () => {
    const queued = await memoryDelivery(THREAD);
    const reservation = await queued.store.reserve('conv-queued', { botpressUserId: 'bp-user', summary: 's', queue: 'tech' }, 60_000);
    if (!reservation.reserved) throw new Error('expected a reservation');
    const job: DeliveryJob = { kind: 'open-thread', key: ['open-thread', 'conv-queued', reservation.token], conversationId: 'conv-queued', reservation: reservation.token, request: { conversationId: 'conv-queued', userId: 'bp-user', summary: 's', queue: 'tech' } };
    const overTheQueue = decodeJob(encodeJob(job));
    expect(overTheQueue).toEqual(job);
    const deps = { ...queued, queueChannels: new Map([['tech', 'C-TECH']]) };
    expect(await deliver(overTheQueue, attempt, deps)).toEqual({ outcome: 'delivered' });
    expect([...deps.desk.cards.values()].map((card) => card.channelId)).toEqual(['C-TECH']);
  });
});

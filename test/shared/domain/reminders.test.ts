import { beforeEach, describe, expect, it } from 'vitest';
import { handleAgentAction } from '../../../shared/domain/controls';
import { deliver } from '../../../shared/domain/delivery/attempt';
import { openHandoff } from '../../../shared/domain/handoffs';
import { MAX_REMINDERS, reminderDue, reminderJob } from '../../../shared/domain/reminders';
import type { Reminder } from '../../../shared/domain/ports';
import { DownstreamError } from '../../../shared/platform/errors';
import { MemoryDesk, MemoryHandoffStore, MemoryQueue, MemoryReminderTimer, MemoryServiceLevels, memoryDelivery, quietLog } from '../../support/memory-ports';

/* Reminders of a handoff nobody claims, against in-memory ports: when they are set, what a due one does, when they stop. */
const INTERVAL = 5 * 60_000;
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };
let clock: number;
let deps: Awaited<ReturnType<typeof memoryDelivery>>;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  deps = await memoryDelivery(THREAD, { now: () => clock, reminderIntervalMs: INTERVAL });
  deps.store.now = () => clock;
});

const attempt = () => ({ id: 'message-1', receiveCount: 1, queuedAt: clock });
const waitingSince = async () => (await deps.store.findThreadOf('conv-1'))!.waitingSince!;
const controls = () => ({ store: deps.store, queue: deps.queue, logger: quietLog, serviceLevels: new MemoryServiceLevels(), reminders: deps.reminders });
const press = (kind: 'claim' | 'release', agentUserId = 'U-A') => handleAgentAction({ kind, conversationId: 'conv-1', agentUserId, ...THREAD }, controls());
const reminderPosts = () => deps.desk.posts.filter((post) => post.post.kind === 'notice' && post.post.notice.kind === 'reminder');

describe('reminders', () => {
  it('sets the first when a handoff opens, one interval after; none when reminders are off; a timer failure does not stop the opening', async () => {
    const timer = new MemoryReminderTimer();
    const handoffs = { store: new MemoryHandoffStore(), queue: new MemoryQueue(), desk: new MemoryDesk(), supportChannelId: 'C-DESK', queueChannels: new Map<string, string>(), logger: quietLog, queuedOpeningMs: 60_000 };
    handoffs.store.now = () => clock;
    await openHandoff({ conversationId: 'conv-a', userId: 'u', summary: 's' }, { ...handoffs, reminders: { intervalMs: INTERVAL, timer } });
    expect(timer.set).toEqual([{ reminder: { conversationId: 'conv-a', since: clock, n: 1 }, dueAt: clock + INTERVAL }]);
    await openHandoff({ conversationId: 'conv-b', userId: 'u', summary: 's' }, { ...handoffs, reminders: { intervalMs: 0, timer } });
    expect(timer.set).toHaveLength(1);
    timer.failing = () => new DownstreamError('sqs', 'unavailable');
    expect(await openHandoff({ conversationId: 'conv-c', userId: 'u', summary: 's' }, { ...handoffs, reminders: { intervalMs: INTERVAL, timer } })).toMatchObject({ status: 'created' });
  });

  it('a due reminder of a handoff that still waits: posted in its thread once, the card updated, the next set; three at most', async () => {
    const since = await waitingSince();
    for (let n = 1; n <= MAX_REMINDERS; n += 1) {
      clock = since + n * INTERVAL;
      const reminder: Reminder = { conversationId: 'conv-1', since, n };
      expect(await deliver(reminderJob(reminder), attempt(), deps)).toEqual({ outcome: 'delivered' });
      // Handed back twice by the timer: the same job, posted once.
      expect(await deliver(reminderJob(reminder), attempt(), deps)).toEqual({ outcome: 'duplicate' });
    }
    expect(reminderPosts().map((post) => post.post)).toEqual(Array(MAX_REMINDERS).fill({ kind: 'notice', notice: { kind: 'reminder', waitingSince: since } }));
    expect(deps.reminders.timer.set).toEqual([
      { reminder: { conversationId: 'conv-1', since, n: 2 }, dueAt: since + 2 * INTERVAL },
      { reminder: { conversationId: 'conv-1', since, n: 3 }, dueAt: since + 3 * INTERVAL },
    ]);
    expect(deps.queue.jobs.filter((job) => job.kind === 'card')).toHaveLength(MAX_REMINDERS);
  });

  it('stops for a handoff that was claimed, or released since (a new round started then), or resolved', async () => {
    const since = await waitingSince();
    await press('claim');
    expect(await deliver(reminderJob({ conversationId: 'conv-1', since, n: 1 }), attempt(), deps)).toMatchObject({ outcome: 'dropped' });

    clock += 60_000;
    await press('release');
    const released = await waitingSince();
    expect(released).toBe(clock);
    // Released: the reminders start over from the release.
    expect(deps.reminders.timer.set.at(-1)).toEqual({ reminder: { conversationId: 'conv-1', since: released, n: 1 }, dueAt: released + INTERVAL });
    expect(await deliver(reminderJob({ conversationId: 'conv-1', since, n: 2 }), attempt(), deps)).toMatchObject({ outcome: 'dropped' });
    expect(await deliver(reminderJob({ conversationId: 'conv-1', since: released, n: 1 }), attempt(), deps)).toEqual({ outcome: 'delivered' });

    await deps.store.close('conv-1', THREAD.threadTs, { by: 'U-A', reason: 'resolved' });
    expect(await deliver(reminderJob({ conversationId: 'conv-1', since: released, n: 2 }), attempt(), deps)).toMatchObject({ outcome: 'dropped' });
    expect(reminderPosts()).toHaveLength(1);
  });

  it('a due reminder becomes a job on the conversation’s queue group, keyed by its round and number', async () => {
    const queue = new MemoryQueue();
    await reminderDue({ conversationId: 'conv-9', since: 42, n: 2 }, { queue });
    expect(queue.jobs).toEqual([{ kind: 'reminder', key: ['reminder', 'conv-9', '42', '2'], conversationId: 'conv-9', since: 42, n: 2 }]);
  });

  it('starts the reminders over when a claim is undone (the bot could not be told of it): unclaimed, the handoff waits anew', async () => {
    deps.queue.failing = () => new DownstreamError('sqs', 'unavailable');
    clock += 30_000;
    await expect(press('claim')).rejects.toBeInstanceOf(DownstreamError);
    const since = await waitingSince();
    expect(since).toBe(clock);
    expect(deps.reminders.timer.set.at(-1)).toEqual({ reminder: { conversationId: 'conv-1', since, n: 1 }, dueAt: since + INTERVAL });
  });
});

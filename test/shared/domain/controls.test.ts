import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handleAgentAction, type AgentControlDependencies } from '../../../shared/domain/controls';
import type { AgentAction } from '../../../shared/domain/ports';
import { DownstreamError } from '../../../shared/platform/errors';
import { MemoryHandoffStore, MemoryQueue, MemoryReminderTimer, MemoryServiceLevels, quietLog } from '../../support/memory-ports';

let store: MemoryHandoffStore;
let queue: MemoryQueue;
let serviceLevels: MemoryServiceLevels;
let timer: MemoryReminderTimer;
const REMINDER_MS = 5 * 60_000;
const deps = (): AgentControlDependencies => ({ store, queue, logger: quietLog, serviceLevels, reminders: { intervalMs: REMINDER_MS, timer } });
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };
const press = (kind: AgentAction['kind'], agentUserId = 'U-AGENT'): AgentAction => ({ kind, conversationId: 'conv-1', agentUserId, ...THREAD });

beforeEach(async () => {
  store = new MemoryHandoffStore();
  queue = new MemoryQueue();
  serviceLevels = new MemoryServiceLevels();
  timer = new MemoryReminderTimer();
  const reservation = await store.reserve('conv-1', { botpressUserId: 'bp-user', summary: 's' }, 15_000);
  if (reservation.reserved) await store.activate('conv-1', reservation.token, THREAD);
});

describe('handleAgentAction', () => {
  it('claims once of many presses at once, by two agents: one assignment, one event for the bot, one card update', async () => {
    const outcomes = await Promise.all([press('claim', 'U-A'), press('claim', 'U-B'), press('claim', 'U-A')].map((action) => handleAgentAction(action, deps())));
    expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(1);
    expect(queue.jobs.map((job) => job.kind)).toEqual(['agent-action', 'card']);
  });

  it('resolves an open handoff, then changes nothing on a second press', async () => {
    expect(await handleAgentAction(press('resolve'), deps())).toBe('resolved');
    expect(await handleAgentAction(press('resolve', 'U-OTHER'), deps())).toEqual({
      unchanged: { kind: 'press-changed-nothing', action: 'resolve', because: { state: 'resolved', agentUserId: 'U-AGENT' } },
    });
    expect(await store.findThreadOf('conv-1')).toMatchObject({ state: 'closed', closedBy: 'U-AGENT', closedReason: 'resolved' });
  });

  it('says why a Claim changed nothing: claimed by the one pressing, or by another', async () => {
    await handleAgentAction(press('claim', 'U-A'), deps());
    expect(await handleAgentAction(press('claim', 'U-A'), deps())).toEqual({
      unchanged: { kind: 'press-changed-nothing', action: 'claim', because: { state: 'claimed', agentUserId: 'U-A', byYou: true } },
    });
    expect(await handleAgentAction(press('claim', 'U-B'), deps())).toEqual({
      unchanged: { kind: 'press-changed-nothing', action: 'claim', because: { state: 'claimed', agentUserId: 'U-A', byYou: false } },
    });
  });

  it('says a handoff the bot ended, or one gone from the store, is over', async () => {
    await store.close('conv-1', THREAD.threadTs, { by: 'bot', reason: 'ended' });
    expect(await handleAgentAction(press('claim'), deps())).toEqual({ unchanged: { kind: 'press-changed-nothing', action: 'claim', because: { state: 'ended' } } });
    expect(await handleAgentAction({ ...press('resolve'), threadTs: '1600000000.000009' }, deps())).toEqual({
      unchanged: { kind: 'press-changed-nothing', action: 'resolve', because: { state: 'ended' } },
    });
  });

  it.each(['claim', 'resolve'] as const)('undoes a %s the queue could not take, so that pressing again works', async (kind) => {
    queue.failing = () => new DownstreamError('sqs', 'send failed');
    await expect(handleAgentAction(press(kind), deps())).rejects.toBeInstanceOf(DownstreamError);
    expect(await store.findThreadOf('conv-1')).toMatchObject({ state: 'open' });
    expect(await store.findThreadOf('conv-1')).not.toHaveProperty('claimedBy');
    queue.failing = undefined;
    expect(await handleAgentAction(press(kind), deps())).toBe(kind === 'claim' ? 'claimed' : 'resolved');
  });

  describe('Take over and Release', () => {
    it('a Take over whose holder releases between its look and its write takes the handoff anyway (as a claim), once', async () => {
      await handleAgentAction(press('claim', 'U-A'), deps());
      const reassign = store.reassignAgent.bind(store);
      vi.spyOn(store, 'reassignAgent').mockImplementationOnce(async (...args) => {
        expect(await handleAgentAction(press('release', 'U-A'), deps())).toBe('released');
        return reassign(...args);
      });
      expect(await handleAgentAction(press('take-over', 'U-B'), deps())).toBe('taken-over');
      expect((await store.findThreadOf('conv-1'))?.claimedBy).toBe('U-B');
      const assignments = queue.jobs.filter((job) => job.kind === 'agent-action').map((job) => [job.action.kind, job.action.agentUserId]);
      expect(assignments).toEqual([['claim', 'U-A'], ['take-over', 'U-B']]);
    });

    it('a Take over whose holder changed to a third agent takes it from them', async () => {
      await handleAgentAction(press('claim', 'U-A'), deps());
      const reassign = store.reassignAgent.bind(store);
      vi.spyOn(store, 'reassignAgent').mockImplementationOnce(async (...args) => {
        expect(await handleAgentAction(press('take-over', 'U-C'), deps())).toBe('taken-over');
        return reassign(...args);
      });
      expect(await handleAgentAction(press('take-over', 'U-B'), deps())).toBe('taken-over');
      expect((await store.findThreadOf('conv-1'))?.claimedBy).toBe('U-B');
    });

    it('undoes a Take over the bot could not be told of: the handoff is its holder’s again, and the press fails', async () => {
      await handleAgentAction(press('claim', 'U-A'), deps());
      queue.failing = () => new DownstreamError('sqs', 'send failed');
      await expect(handleAgentAction(press('take-over', 'U-B'), deps())).rejects.toBeInstanceOf(DownstreamError);
      expect((await store.findThreadOf('conv-1'))?.claimedBy).toBe('U-A');
    });

    it('queues nothing for the bot on a Release (the hitl interface has no such event): the card only', async () => {
      await handleAgentAction(press('claim', 'U-A'), deps());
      queue.jobs.length = 0;
      expect(await handleAgentAction(press('release', 'U-A'), deps())).toBe('released');
      expect(queue.jobs.map((job) => job.kind)).toEqual(['card']);
    });
  });

  describe('service levels', () => {
    const clock = { now: 1_000_000 };
    beforeEach(() => {
      store.now = () => clock.now;
    });

    it('records the time to claim at the first assignment only (not a take-over, nor a claim after a release), and the time to resolve', async () => {
      // The handoff opened at the store's clock before these tests set it: measured from its openedAt.
      const { openedAt } = (await store.findThreadOf('conv-1'))!;
      clock.now = openedAt + 90_000;
      await handleAgentAction(press('claim', 'U-A'), deps());
      clock.now += 1_000;
      await handleAgentAction(press('take-over', 'U-B'), deps());
      await handleAgentAction(press('release', 'U-B'), deps());
      await handleAgentAction(press('claim', 'U-C'), deps());
      clock.now = openedAt + 600_000;
      await handleAgentAction(press('resolve', 'U-C'), deps());
      expect(serviceLevels.recorded).toEqual([
        { measure: 'time-to-claim', ms: 90_000, channelId: 'C-DESK' },
        { measure: 'time-to-resolve', ms: 600_000, channelId: 'C-DESK' },
      ]);
    });

    it('records nothing for a press that changed nothing, or one undone because the bot could not be told', async () => {
      await handleAgentAction(press('release', 'U-A'), deps());
      queue.failing = () => new DownstreamError('sqs', 'send failed');
      await expect(handleAgentAction(press('claim', 'U-A'), deps())).rejects.toBeInstanceOf(DownstreamError);
      expect(serviceLevels.recorded).toEqual([]);
    });
  });
});

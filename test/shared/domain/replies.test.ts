import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentReply } from '../../../shared/domain/ports';
import { acceptAgentReply } from '../../../shared/domain/replies';
import { DownstreamError } from '../../../shared/platform/errors';
import { MemoryHandoffStore, MemoryQueue, quietLog } from '../../support/memory-ports';

let store: MemoryHandoffStore;
let queue: MemoryQueue;
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };

beforeEach(async () => {
  store = new MemoryHandoffStore();
  queue = new MemoryQueue();
  const reservation = await store.reserve('conv-1', { botpressUserId: 'bp-user', summary: 's' }, 15_000);
  if (reservation.reserved) await store.activate('conv-1', reservation.token, THREAD);
});

const NOTE_PREFIXES = ['note:', ';;'];
const deps = () => ({ store, queue, logger: quietLog, notePrefixes: NOTE_PREFIXES });
const reply = (overrides: Partial<AgentReply> = {}): AgentReply => ({ eventId: 'Ev1', ...THREAD, messageTs: '1700000001.000100', userId: 'U-AGENT', markup: 'On it', ...overrides });

describe('acceptAgentReply', () => {
  it('queues the reply for the thread’s conversation, keyed by its message, and keeps the handoff alive', async () => {
    expect(await acceptAgentReply(reply(), deps())).toBe('queued');
    // The customer has had no reply yet: the delivery notes whether this is the first (the time to first reply).
    expect(queue.jobs).toEqual([{ kind: 'agent-reply', key: ['slack-message', 'C-DESK', '1700000001.000100'], conversationId: 'conv-1', reply: reply(), firstReply: true }]);
    expect(store.touched).toBe(1);
  });

  it('does not ask the delivery to look for the first reply once the customer has had one', async () => {
    await store.markFirstReply('conv-1', THREAD.threadTs);
    await acceptAgentReply(reply(), deps());
    expect(queue.jobs[0]).not.toHaveProperty('firstReply');
  });

  it('queues a repeat of the same reply once, and an edit of it as a job of its own', async () => {
    await acceptAgentReply(reply(), deps());
    await acceptAgentReply(reply(), deps());
    await acceptAgentReply(reply({ revision: { kind: 'edited', at: '1700000002.000100' }, markup: 'On it now' }), deps());
    expect(queue.jobs.map((job) => job.key)).toEqual([
      ['slack-message', 'C-DESK', '1700000001.000100'],
      ['slack-message', 'C-DESK', '1700000001.000100', 'edited', '1700000002.000100'],
    ]);
  });

  it.each([
    ['a reply', undefined, { kind: 'not-connected' }],
    ['an edit', { kind: 'edited' as const, at: '1.2' }, { kind: 'not-connected', change: 'edited' }],
    ['a deletion', { kind: 'deleted' as const, at: '1.3' }, { kind: 'not-connected', change: 'deleted' }],
  ])('tells the agent privately, as a notice value, of %s in a thread with no live handoff', async (_case, revision, notice) => {
    await store.close('conv-1', THREAD.threadTs, { by: 'U-AGENT', reason: 'resolved' });
    expect(await acceptAgentReply(reply({ revision }), deps())).toBe('not_connected');
    expect(queue.jobs).toEqual([expect.objectContaining({ kind: 'private-notice', userId: 'U-AGENT', ...THREAD, notice })]);
  });

  it('fails, so that the desk retries, when the queue cannot take the reply', async () => {
    queue.failing = () => new DownstreamError('sqs', 'send failed');
    await expect(acceptAgentReply(reply(), deps())).rejects.toBeInstanceOf(DownstreamError);
  });

  describe('internal notes', () => {
    const markJob = (mark: boolean, notice?: string): unknown => expect.objectContaining({ kind: 'kept-internal', ...THREAD, messageTs: '1700000001.000100', userId: 'U-AGENT', mark, ...(notice ? { notice } : {}) });

    it.each(['note: checking with billing', '  NOTE: any idea, @bob?', ';; ask Kim', 'Note:no space needed'])('keeps “%s” on the desk, marked, without looking up the thread', async (markup) => {
      const lookups = vi.spyOn(store, 'findByThread');
      expect(await acceptAgentReply(reply({ markup }), deps())).toBe('kept_internal');
      expect(lookups).not.toHaveBeenCalled();
      expect(queue.jobs).toEqual([markJob(true)]);
      expect(queue.jobs[0]).not.toHaveProperty('notice');
    });

    it.each(['Please note: the refund takes 3 days', 'notes: are fine', '; single semicolon', 'On it'])('forwards “%s” as an ordinary reply', async (markup) => {
      expect(await acceptAgentReply(reply({ markup }), deps())).toBe('queued');
      expect(queue.jobs.map((job) => job.kind)).toEqual(['agent-reply']);
    });

    it('keeps every change to a note on the desk: an edit still a note quietly, one that no longer reads as a note with a word to its writer, a deletion quietly', async () => {
      const previousMarkup = 'note: checking with billing';
      expect(await acceptAgentReply(reply({ markup: 'note: billing says yes', revision: { kind: 'edited', at: '2.1', previousMarkup } }), deps())).toBe('kept_internal');
      expect(await acceptAgentReply(reply({ markup: 'Billing says yes', revision: { kind: 'edited', at: '2.2', previousMarkup } }), deps())).toBe('kept_internal');
      expect(await acceptAgentReply(reply({ markup: '', revision: { kind: 'deleted', at: '2.3', previousMarkup } }), deps())).toBe('kept_internal');
      expect(queue.jobs).toEqual([markJob(false, 'note-edit-kept')]);
    });

    it('keeps an edit that makes a reply a note: the customer keeps the reply as sent, the edit is marked and its writer told', async () => {
      expect(await acceptAgentReply(reply({ markup: 'note: wrong customer, sorry', revision: { kind: 'edited', at: '3.1', previousMarkup: 'Your refund is on its way' } }), deps())).toBe('kept_internal');
      expect(queue.jobs).toEqual([markJob(true, 'reply-made-note')]);
    });

    it('forwards an edit of a reply that stays a reply, and a deletion of one', async () => {
      expect(await acceptAgentReply(reply({ markup: 'Your refund is on its way today', revision: { kind: 'edited', at: '4.1', previousMarkup: 'Your refund is on its way' } }), deps())).toBe('queued');
      expect(await acceptAgentReply(reply({ markup: '', revision: { kind: 'deleted', at: '4.2', previousMarkup: 'Your refund is on its way' } }), deps())).toBe('queued');
      expect(queue.jobs.map((job) => job.kind)).toEqual(['agent-reply', 'agent-reply']);
    });

    it('takes the prefixes it is given: with only "private:", a "note:" is a reply', async () => {
      expect(await acceptAgentReply(reply({ markup: 'private: hm' }), { ...deps(), notePrefixes: ['private:'] })).toBe('kept_internal');
      expect(await acceptAgentReply(reply({ markup: 'note: hm', messageTs: '9.9' }), { ...deps(), notePrefixes: ['private:'] })).toBe('queued');
    });
  });
});

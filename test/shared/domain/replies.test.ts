import { beforeEach, describe, expect, it } from 'vitest';
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

const reply = (overrides: Partial<AgentReply> = {}): AgentReply => ({ eventId: 'Ev1', ...THREAD, messageTs: '1700000001.000100', userId: 'U-AGENT', markup: 'On it', ...overrides });

describe('acceptAgentReply', () => {
  it('queues the reply for the thread’s conversation, keyed by its message, and keeps the handoff alive', async () => {
    expect(await acceptAgentReply(reply(), { store, queue, logger: quietLog })).toBe('queued');
    expect(queue.jobs).toEqual([{ kind: 'agent-reply', key: ['slack-message', 'C-DESK', '1700000001.000100'], conversationId: 'conv-1', reply: reply() }]);
    expect(store.touched).toBe(1);
  });

  it('queues a repeat of the same reply once, and an edit of it as a job of its own', async () => {
    await acceptAgentReply(reply(), { store, queue, logger: quietLog });
    await acceptAgentReply(reply(), { store, queue, logger: quietLog });
    await acceptAgentReply(reply({ revision: { kind: 'edited', at: '1700000002.000100' }, markup: 'On it now' }), { store, queue, logger: quietLog });
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
    expect(await acceptAgentReply(reply({ revision }), { store, queue, logger: quietLog })).toBe('not_connected');
    expect(queue.jobs).toEqual([expect.objectContaining({ kind: 'private-notice', userId: 'U-AGENT', ...THREAD, notice })]);
  });

  it('fails, so that the desk retries, when the queue cannot take the reply', async () => {
    queue.failing = () => new DownstreamError('sqs', 'send failed');
    await expect(acceptAgentReply(reply(), { store, queue, logger: quietLog })).rejects.toBeInstanceOf(DownstreamError);
  });
});

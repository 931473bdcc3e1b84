import { agentReplyKey, type JobOf } from './delivery/jobs';
import { isInternalNote, noteVerdictOf, type NoteVerdict } from './internal-notes';
import type { AgentReply, HandoffStore, JobQueue, Log } from './ports';
import { settleLoggingFailures } from '../platform/logger';

export interface AcceptDependencies {
  readonly store: Pick<HandoffStore, 'findByThread' | 'touch'>;
  readonly queue: JobQueue;
  readonly logger: Log;
  /** What starts an internal note, in lower case (INTERNAL_NOTE_PREFIXES). */
  readonly notePrefixes: readonly string[];
}

export type AcceptOutcome =
  /** On the queue, for the delivery function to take to the bot. */
  | 'queued'
  /** An internal note, or a change to one: it stays on the desk (its mark and any word to its writer queued). */
  | 'kept_internal'
  /** The thread has no live handoff; the agent is told, privately. */
  | 'not_connected';

/**
 * Takes an agent's reply in (the desk's adapter decided it is one): finds the
 * thread's handoff and puts the reply on the delivery queue, in the
 * conversation's group, so that the desk hears 200 in milliseconds whatever
 * the bot is doing. Keyed by the message's channel:ts, the same across the
 * desk's retries and re-sends: queued once within the queue's dedup window,
 * delivered once (the delivery ledger) however often it comes.
 * Throws a DownstreamError when the store or the queue fail, so that the desk retries.
 */
export async function acceptAgentReply(reply: AgentReply, deps: AcceptDependencies): Promise<AcceptOutcome> {
  // Before the thread is looked up: a note stays wherever it is written, and needs no handoff.
  if (await keptInternal(reply, deps)) return 'kept_internal';
  const handoff = await deps.store.findByThread(reply.channelId, reply.threadTs);
  if (handoff?.state !== 'open') {
    await deps.queue.enqueue({
      kind: 'private-notice',
      key: ['not-connected', ...agentReplyKey(reply).slice(1)],
      channelId: reply.channelId,
      threadTs: reply.threadTs,
      userId: reply.userId,
      notice: { kind: 'not-connected', ...(reply.revision ? { change: reply.revision.kind } : {}) },
    });
    deps.logger.info('agent reply in a thread without a live handoff', { ...logContext(reply), state: handoff?.state ?? 'none' });
    return 'not_connected';
  }
  // In the conversation's group, behind the reply it changes: the customer has that first.
  // Until the customer has had a reply, the delivery notes the first (the time to first reply); afterwards it need not look.
  const firstReply = handoff.firstReplyAt === undefined && !reply.revision ? { firstReply: true as const } : {};
  await deps.queue.enqueue({ kind: 'agent-reply', key: agentReplyKey(reply), conversationId: handoff.conversationId, reply, ...firstReply });
  // Activity keeps the mapping alive; a failure here must not make the desk retry what is queued.
  await settleLoggingFailures(deps.logger, 'could not refresh the handoff’s expiry', { eventId: reply.eventId }, [deps.store.touch(handoff)]);
  deps.logger.info('agent reply queued', { ...logContext(reply), conversationId: handoff.conversationId });
  return 'queued';
}

/**
 * An internal note, or a change to one, stays on the desk: a new note gets
 * the kept-internal mark; an edit that made a reply a note gets it too, and
 * its writer hears that the customer keeps the reply as sent; an edit of a
 * note that no longer reads as one stays as well, and its writer hears why.
 * Returns whether the message stays.
 */
async function keptInternal(reply: AgentReply, deps: AcceptDependencies): Promise<boolean> {
  const verdict = noteVerdictOf(reply, deps.notePrefixes);
  if (verdict === undefined) return false;
  const work = keptInternalWork(verdict, reply, deps.notePrefixes);
  if (work) {
    const { channelId, threadTs, messageTs, userId } = reply;
    await deps.queue.enqueue({ kind: 'kept-internal', key: ['kept-internal', ...agentReplyKey(reply).slice(1)], channelId, threadTs, messageTs, userId, ...work });
  }
  deps.logger.info('agent message kept internal', { ...logContext(reply), note: verdict });
  return true;
}

function keptInternalWork(verdict: NoteVerdict, reply: AgentReply, prefixes: readonly string[]): Pick<JobOf<'kept-internal'>, 'mark' | 'notice'> | undefined {
  switch (verdict) {
    case 'note':
      return { mark: true };
    case 'reply-made-note':
      return { mark: true, notice: 'reply-made-note' };
    case 'note-changed':
      // A deleted note is gone, and a note edited into another keeps its mark: nothing to say.
      return reply.revision?.kind === 'edited' && !isInternalNote(reply.markup, prefixes) ? { mark: false, notice: 'note-edit-kept' } : undefined;
  }
}

/** Ids and sizes only: message text stays out of the logs. */
function logContext(reply: AgentReply): Record<string, unknown> {
  return {
    eventId: reply.eventId,
    channelId: reply.channelId,
    threadTs: reply.threadTs,
    messageTs: reply.messageTs,
    textLength: reply.markup.length,
    ...(reply.revision ? { revision: reply.revision.kind } : {}),
  };
}

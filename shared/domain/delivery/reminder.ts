import { cardJob } from './jobs';
import type { Performer } from './performer';
import { nextReminder, stillWaiting } from '../reminders';
import { settleLoggingFailures } from '../../platform/logger';

/**
 * A due reminder, in its turn among the thread's posts: if the handoff still
 * waits, the reminder in its thread (mentioning whom the desk is set to), the
 * card showing how long the customer has waited, and the next reminder set.
 * Claimed, released since, resolved or ended: nothing.
 */
export const postReminder: Performer<'reminder'> = async (job, progress, deps) => {
  const handoff = await deps.store.findThreadOf(job.conversationId);
  if (!stillWaiting(handoff, job)) return { outcome: 'dropped', reason: 'the handoff no longer waits' };
  await deps.desk.postInThread(handoff, { kind: 'notice', notice: { kind: 'reminder', waitingSince: job.since } }, progress);
  const next = nextReminder(job, deps.reminders.intervalMs);
  // Set before the job counts as done: a failure here retries the job, whose post is not made twice (progress).
  if (next) await deps.reminders.timer.remindAt(next.reminder, next.dueAt);
  await settleLoggingFailures(deps.logger, 'could not queue the card update', { conversationId: job.conversationId }, [deps.queue.enqueue(cardJob(job.conversationId))]);
  deps.logger.info('reminder posted', { conversationId: job.conversationId, n: job.n });
  return { outcome: 'delivered' };
};

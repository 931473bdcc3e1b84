import type { JobOf } from './delivery/jobs';
import type { Handoff, JobQueue, Log, Reminder, ReminderTimer } from './ports';

/*
 * A handoff nobody has claimed is brought back to the team's attention: a
 * reminder in its thread every interval (HANDOFF_REMINDER_MINUTES), at most
 * MAX_REMINDERS times, counted from when it began to wait (its opening, or
 * its last release). Each reminder is a timer (ReminderTimer, a delay queue
 * in AWS) that, when due, becomes a job on the conversation's queue group, so
 * that it takes its turn with the thread's other posts and is posted once;
 * it checks then whether the handoff still waits, and sets the next.
 */

export const MAX_REMINDERS = 3;

export interface ReminderSettings {
  readonly timer: ReminderTimer;
  /** 0: no reminders. */
  readonly intervalMs: number;
}

/** The first reminder of a handoff that began to wait; nothing when reminders are off or an agent has it. */
export async function remindWhileWaiting(handoff: Pick<Handoff, 'conversationId' | 'waitingSince'>, deps: { readonly reminders: ReminderSettings; readonly logger: Log }): Promise<void> {
  const { intervalMs, timer } = deps.reminders;
  if (intervalMs <= 0 || handoff.waitingSince === undefined) return;
  await timer.remindAt({ conversationId: handoff.conversationId, since: handoff.waitingSince, n: 1 }, handoff.waitingSince + intervalMs);
  deps.logger.debug('reminder set', { conversationId: handoff.conversationId, since: handoff.waitingSince });
}

/** The job a due reminder becomes: keyed by the wait and its number, so that a timer handed back twice posts once. */
export function reminderJob(reminder: Reminder): JobOf<'reminder'> {
  return { kind: 'reminder', key: ['reminder', reminder.conversationId, String(reminder.since), String(reminder.n)], ...reminder };
}

/** A due reminder (the timer handed it back): onto the conversation's queue group. */
export async function reminderDue(reminder: Reminder, deps: { readonly queue: JobQueue }): Promise<void> {
  await deps.queue.enqueue(reminderJob(reminder));
}

/** Whether a handoff still waits as it did when the reminder was set: open, nobody has it, and not released since. */
export const stillWaiting = (handoff: Handoff | undefined, reminder: Reminder): handoff is Handoff =>
  handoff?.state === 'open' && handoff.claimedBy === undefined && handoff.waitingSince === reminder.since;

/** The reminder after this one, if there is to be one. */
export function nextReminder(reminder: Reminder, intervalMs: number): { readonly reminder: Reminder; readonly dueAt: number } | undefined {
  if (reminder.n >= MAX_REMINDERS || intervalMs <= 0) return undefined;
  const { conversationId, since, n } = reminder;
  return { reminder: { conversationId, since, n: n + 1 }, dueAt: since + (n + 1) * intervalMs };
}

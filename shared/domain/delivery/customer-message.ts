import { Undeliverable, type JobOf } from './jobs';
import { handoffOnceOpen, type JobDependencies, type Performer } from './performer';
import { postCustomerFile, type CustomerFileOutcome } from '../files/customer-files';
import { FILE_LIMITS } from '../files/policy';
import type { ThreadPost, ThreadRef } from '../ports';
import { DownstreamError } from '../../platform/errors';
import { settleLoggingFailures } from '../../platform/logger';

/**
 * How long one attempt starts files for before it leaves the rest to the next: a file started then takes at most
 * two transfers (FILE_TRANSFER_TIMEOUT_MS), the desk's calls and its wait for the file to show (2 s), within the
 * job's budget (JOB_BUDGET_MS, 25 s).
 */
export const FILES_PER_ATTEMPT_MS = 6_000;

/**
 * A customer's message in its thread: the text, whole, then each file; a
 * retry goes on from the first part not posted. A file that does not come
 * holds the message (and its conversation) for its tries only, about a minute.
 */
export const postCustomerMessage: Performer<'customer-message'> = async (job, progress, deps) => {
  // Written while the card was being posted: the thread is a moment away.
  const handoff = await handoffOnceOpen(job.conversationId, deps);
  // Queued while the handoff was opening, and it never opened: the customer must hear that nobody got it.
  if (!handoff) throw new Undeliverable('the handoff has no thread to post in (it never opened, or has expired); the customer is told');
  const text: ThreadPost = { kind: 'customer-text', customerName: handoff.customerName, text: job.text };
  const textParts = deps.desk.partsIn(text);
  await deps.desk.postInThread(handoff, text, progress);
  // Past FILES_PER_ATTEMPT_MS, the next file waits for the next attempt, so that the invocation is never cut off with posts
  // made but not noted.
  const files = job.files ?? [];
  const now = deps.now ?? Date.now;
  const stopAt = now() + FILES_PER_ATTEMPT_MS;
  const botOrigin = files.length > 0 ? await deps.files.botOrigin() : undefined;
  for (const file of files.slice(progress.partsDone - textParts)) {
    if (now() > stopAt) throw new DownstreamError('file-host', 'more files than one attempt carries: the rest go in the next', { retryAfterMs: 0 });
    const outcome = await postCustomerFile(handoff, file, handoff.customerName, progress, { desk: deps.desk, botOrigin });
    if (!outcome.posted) await reportMissingFile(job, handoff, outcome, deps);
    progress.partsDone += 1;
    progress.fileTries = undefined;
  }
  await settleLoggingFailures(deps.logger, 'could not refresh the handoff’s expiry', { conversationId: job.conversationId }, [
    handoff.state === 'open' ? deps.store.touch(handoff) : undefined,
  ]);
  deps.logger.info('customer message posted', { conversationId: job.conversationId, threadTs: handoff.threadTs, textLength: job.text.length });
  return { outcome: 'delivered' };
};

/** A customer's file that cannot reach the thread: the customer hears through the bot, the agents from a note. */
async function reportMissingFile(
  job: JobOf<'customer-message'>,
  thread: ThreadRef,
  missing: Extract<CustomerFileOutcome, { posted: false }>,
  deps: JobDependencies,
): Promise<void> {
  deps.logger.warn('customer file not posted', { conversationId: job.conversationId, reason: missing.reason, detail: missing.detail });
  await deps.queue.enqueue({
    kind: 'customer-message-failed',
    key: ['customer-file-failed', ...job.key, missing.name],
    conversationId: job.conversationId,
    ...(job.messageId ? { messageId: job.messageId } : {}),
    file: { name: missing.name, reason: missing.reason },
  });
  await deps.desk.postInThread(thread, { kind: 'notice', notice: { kind: 'customer-file-missing', name: missing.name, reason: missing.reason, maxBytes: FILE_LIMITS.maxBytes } });
}

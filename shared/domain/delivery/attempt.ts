import { conversationOf, MalformedJobError, needsLedger, Undeliverable, type DeliveryJob } from './jobs';
import type { JobDependencies, JobResult } from './performer';
import { performJob } from './performers';
import type { Awaited, Notice } from '../notices';
import { dedupeKey, type DeliveryLedger, type DeliveryNotes, type PartProgress, type ThreadRef } from '../ports';
import { BridgeError, DownstreamError, isUnanswered, PermanentDownstreamError } from '../../platform/errors';
import { settleLoggingFailures } from '../../platform/logger';
import type { DeliveryPolicy } from './policy';

export type { DeliveryPolicy } from './policy';

/*
 * One attempt at one job, with the rules that make the queue worth having:
 * transient failures are retried with backoff (a Retry-After honoured), a job
 * the bot or the desk accepted is never done again (the ledger), the agent
 * hears when a reply is late and when it was lost, and a failure that
 * retrying cannot change is given up at once.
 */

export interface DeliveryDependencies extends JobDependencies {
  readonly ledger: DeliveryLedger;
  readonly policy: DeliveryPolicy;
}

export interface DeliveryAttempt {
  /** The queue's id for this delivery: the same at every attempt. */
  readonly id: string;
  /** 1 on the first attempt. */
  readonly receiveCount: number;
  /** When the job was first queued, milliseconds after the agent or the customer wrote. */
  readonly queuedAt: number;
  /** Where the give-up time starts: queuedAt, unless the job was given up and then replayed from the dead letters. */
  readonly giveUpFrom?: number;
}

export type DeliveryResult =
  | JobResult
  /** Given up: the caller keeps the message in the dead-letter queue. `refusedBy`: a service refused it for good. */
  | { readonly outcome: 'gave-up'; readonly reason: string; readonly refusedBy?: DownstreamError['service'] | undefined };

/** Thrown to have the job tried again after delayMs. */
export class RetryDelivery extends BridgeError {
  override readonly name: string = 'RetryDelivery';
  constructor(
    readonly delayMs: number,
    message: string,
    options?: { cause?: unknown; noticed?: boolean },
  ) {
    super(message, options);
    this.noticed = options?.noticed ?? false;
  }

  /** This attempt told the agent the delivery is late. */
  readonly noticed: boolean;
}

/** Replies and Claim/Resolve have an agent waiting in a thread; the other jobs tell nobody there. */
export function awaitedIn(job: DeliveryJob): { readonly thread: ThreadRef; readonly awaited: Awaited } | undefined {
  if (job.kind === 'agent-reply' && job.reply.revision?.kind !== 'deleted') return { thread: job.reply, awaited: { of: 'reply' } };
  if (job.kind === 'agent-action') return { thread: job.action, awaited: { of: 'action', action: job.action.kind } };
  return undefined;
}

/** What one attempt holds of a delivery: its claim, its notice, how far it got. */
interface Held {
  readonly key: string;
  readonly token: string | undefined;
  readonly noticeTs: string | undefined;
  readonly progress: PartProgress;
}

/**
 * Works on one job; throws RetryDelivery to be tried again later. From the
 * second attempt on, each is noted as it begins and as it ends, so that a job
 * that keeps stopping the function (a crash, a timeout, memory) is given up
 * after a few such attempts, with the reason, rather than hold its
 * conversation until the queue's limit; a first attempt, the usual case,
 * costs nothing more.
 */
export async function deliver(job: DeliveryJob, attempt: DeliveryAttempt, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const retried = attempt.receiveCount > 1;
  const stopped = retried ? await beginAttempt(job, attempt, deps) : 0;
  if (stopped >= deps.policy.stopsAtMost) {
    const reason = `the delivery function stopped ${stopped} times while on it (a crash, a timeout or out of memory)`;
    deps.logger.error('delivery given up', { job: job.kind, conversationId: conversationOf(job), receiveCount: attempt.receiveCount, reason, fix: 'look in the delivery function’s log for the attempts that ended without a word' });
    await giveUp(job, nothingHeld(job), deps);
    return { outcome: 'gave-up', reason };
  }
  try {
    return await attemptJob(job, attempt, deps);
  } catch (error) {
    // Any answer, a retry or an error, means this attempt ended rather than stopped.
    if (retried) {
      await deps.ledger.endAttempt(attempt.id, attempt.receiveCount).catch((noteError: unknown) => {
        deps.logger.warn('could not note the end of a delivery attempt', { job: job.kind, receiveCount: attempt.receiveCount, error: noteError as Error });
      });
    }
    throw error;
  }
}

/** An attempt that holds no claim yet, nor a notice, and has posted nothing. */
const nothingHeld = (job: DeliveryJob): Held => ({ key: dedupeKey(...job.key), token: undefined, noticeTs: undefined, progress: { partsDone: 0 } });

async function beginAttempt(job: DeliveryJob, attempt: DeliveryAttempt, deps: DeliveryDependencies): Promise<number> {
  try {
    return await deps.ledger.beginAttempt(attempt.id, attempt.receiveCount);
  } catch (error) {
    // The count is a safeguard: without it, the job is tried as it would be anyway.
    deps.logger.warn('could not note the beginning of a delivery attempt', { job: job.kind, receiveCount: attempt.receiveCount, error: error as Error });
    return 0;
  }
}

async function attemptJob(job: DeliveryJob, attempt: DeliveryAttempt, deps: DeliveryDependencies): Promise<DeliveryResult> {
  let held = nothingHeld(job);
  const { key } = held;
  if (needsLedger(job)) {
    const claim = await deps.ledger.claim(key);
    if (claim.status === 'duplicate') return { outcome: 'duplicate' };
    // Only an attempt that died holding the claim leaves it pending (a FIFO group's message goes to one consumer at a time).
    if (claim.status === 'in_flight') throw new RetryDelivery(deps.policy.firstDelayMs, 'another attempt holds this delivery');
    // An attempt that may have posted without hearing back, or died holding the claim: its posts are looked for first.
    const lookSince = claim.postUncertain || claim.takenOver ? attempt.queuedAt : undefined;
    held = { key, token: claim.token, noticeTs: claim.noticeTs, progress: { partsDone: claim.partsDone ?? 0, fileTries: claim.fileTries, postId: key, lookSince } };
  } else if (job.kind === 'open-thread') {
    // Queued because a card post failed, perhaps after Slack had taken it: looked for first.
    held.progress.lookSince = attempt.queuedAt;
  }

  let result: DeliveryResult;
  try {
    result = await performJob(job, held.progress, deps);
  } catch (error) {
    return afterFailure(job, attempt, error, held, deps);
  }
  const waiting = awaitedIn(job);
  const minutesLate = ((deps.now ?? Date.now)() - attempt.queuedAt) / 60_000;
  await settleLoggingFailures(deps.logger, 'bookkeeping after a delivery failed', { job: job.kind }, [
    held.token ? deps.ledger.settle(key, held.token, 'delivered') : undefined,
    held.noticeTs && waiting ? deps.desk.updateNotice(waiting.thread, held.noticeTs, { kind: 'delivered-late', awaited: waiting.awaited, minutesLate }) : undefined,
  ]);
  return result;
}

async function afterFailure(job: DeliveryJob, attempt: DeliveryAttempt, error: unknown, held: Held, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const { policy } = deps;
  const age = (deps.now ?? Date.now)() - (attempt.giveUpFrom ?? attempt.queuedAt);
  const context = { job: job.kind, conversationId: conversationOf(job), receiveCount: attempt.receiveCount, ageMs: age };
  const permanent = error instanceof PermanentDownstreamError || error instanceof MalformedJobError || error instanceof Undeliverable;
  if (permanent || age >= policy.giveUpMs) {
    const reason = permanent ? `refused: ${error.message}` : `not delivered within ${Math.round(policy.giveUpMs / 60_000)} min: ${(error as Error).message}`;
    deps.logger.error('delivery given up', { ...context, reason, fix: error instanceof PermanentDownstreamError ? error.fix : undefined, error: error as Error });
    await giveUp(job, held, deps);
    return { outcome: 'gave-up', reason, refusedBy: error instanceof PermanentDownstreamError ? error.service : undefined };
  }

  // The service's own word when it gave one (a rate limit lifts when it says), else exponential backoff. Not later than the
  // deadline: the last attempt is made when the bridge would give up, not after.
  const retryAfter = error instanceof DownstreamError ? error.retryAfterMs : undefined;
  const backoff = Math.min(policy.firstDelayMs * 2 ** Math.max(attempt.receiveCount - 1, 0), policy.maxDelayMs);
  // Never sooner than minDelayMs, which bounds the attempts within the give-up time (policy.ts).
  const delayMs = Math.max(Math.min(retryAfter ?? backoff, policy.giveUpMs - age), policy.minDelayMs);
  let noticeTs = held.noticeTs;
  const waiting = awaitedIn(job);
  // Said as soon as it is certain: the next attempt comes after the moment the agent was promised to hear.
  if (waiting && noticeTs === undefined && age + delayMs >= policy.lateNoticeMs) noticeTs = await postNotice(waiting.thread, { kind: 'late', awaited: waiting.awaited }, deps);
  deps.logger.warn('delivery failed; will retry', { ...context, delayMs, error: error as Error });
  if (held.token) {
    await deps.ledger.release(held.key, held.token, notesOf(held, noticeTs, error)).catch((releaseError: unknown) => {
      // Its lease runs out on its own, and the retry claims it then.
      deps.logger.error('could not release delivery claim', { ...context, error: releaseError as Error });
    });
  }
  throw new RetryDelivery(delayMs, `delivery failed: ${(error as Error).message}`, { cause: error, noticed: noticeTs !== undefined && noticeTs !== held.noticeTs });
}

/** The final word: the agent's notice says it was lost; a customer's lost message is reported to the bot, so that the customer hears. */
async function giveUp(job: DeliveryJob, held: Held, deps: DeliveryDependencies): Promise<void> {
  const waiting = awaitedIn(job);
  const lost: Notice | undefined = waiting && { kind: 'lost', awaited: waiting.awaited };
  await settleLoggingFailures(deps.logger, 'could not report a lost delivery', { job: job.kind }, [
    waiting && lost ? (held.noticeTs ? deps.desk.updateNotice(waiting.thread, held.noticeTs, lost) : postNotice(waiting.thread, lost, deps)) : undefined,
    job.kind === 'customer-message'
      ? deps.queue.enqueue({ kind: 'customer-message-failed', key: ['customer-message-failed', ...job.key], conversationId: job.conversationId, ...(job.messageId ? { messageId: job.messageId } : {}) })
      : undefined,
    // The card never got posted: the reservation goes (a later handoff can open), and the bot hears, so that the customer does.
    job.kind === 'open-thread' ? deps.store.abandon(job.conversationId, job.reservation) : undefined,
    job.kind === 'open-thread' ? deps.queue.enqueue({ kind: 'handoff-failed', key: ['handoff-failed', job.conversationId, job.reservation], conversationId: job.conversationId }) : undefined,
    // Released, not settled as done: should the message be redriven from the dead-letter queue, it is delivered then.
    held.token ? deps.ledger.release(held.key, held.token, notesOf(held, held.noticeTs)) : undefined,
  ]);
}

/**
 * What the next attempt needs. fileTries and postUncertain are given even when
 * undefined, so that what no longer holds is cleared. A post is uncertain
 * when this attempt's failure may have come after the desk took it (no answer
 * in time, a 5xx; not a refusal, nor a rate limit, which turn the call away),
 * or when the desk did not get to look for an earlier one's. Which service
 * failed does not matter: the look costs a retry one call to the desk.
 */
function notesOf(held: Held, noticeTs: string | undefined, error?: unknown): DeliveryNotes {
  const uncertain = held.progress.lookSince !== undefined || isUnanswered(error);
  return { noticeTs, partsDone: held.progress.partsDone || undefined, fileTries: held.progress.fileTries, postUncertain: uncertain || undefined };
}

async function postNotice(thread: ThreadRef, notice: Notice, deps: DeliveryDependencies): Promise<string | undefined> {
  try {
    return await deps.desk.postInThread(thread, { kind: 'notice', notice });
  } catch (error) {
    // The next attempt tries again; the log is the record meanwhile.
    deps.logger.error('could not post a delivery notice', { threadTs: thread.threadTs, error: error as Error });
    return undefined;
  }
}

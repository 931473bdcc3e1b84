import type { Logger } from '@aws-lambda-powertools/logger';
import type { BotpressEvent, BotpressSender } from './botpress-client';
import { conversationOf, MalformedJobError, needsLedger, type DeliveryJob, type JobOf } from './delivery-jobs';
import { dedupeKey, type DeliveryLedger } from './delivery-ledger';
import type { DeliveryQueue } from './delivery-queue';
import { BridgeError, DownstreamError, PermanentDownstreamError } from './errors';
import { CardNotPosted, postCardAndOpen, type CardPoster } from './handoffs';
import { settleLoggingFailures } from './logger';
import { rehostAgentFiles, type AgentFileDependencies, type RefusedFile } from './files/agent-files';
import { postCustomerFile, type CustomerFileOutcome } from './files/customer-files';
import { FILE_LIMITS, megabytes } from './files/policy';
import { normalizeAgentReply } from './normalize';
import { customerUsername, handoffCard, summaryInThread, transcriptText } from './slack/cards';
import { callSlack, type SlackClient, type UserDirectory, type UserProfile } from './slack/client';
import { splitEscaped } from './slack/limits';
import { escapeSlackText, mentionedUserIds } from './slack/markup';
import type { ThreadStore } from './thread-store';

/*
 * The delivery function's work on one job, with the rules that make the
 * queue worth having: transient failures are retried with backoff (a 429's
 * Retry-After honoured), a job Botpress or Slack accepted is never done again
 * (the ledger), the agent hears when a reply is late and when it was lost,
 * and a failure that retrying cannot change is given up at once.
 */

export interface DeliveryPolicy {
  /** A delivery not done this long after it was queued gets a "not delivered yet" notice in its thread. */
  readonly lateNoticeMs: number;
  /** After this long the bridge gives up: a final notice, and the message goes to the dead-letter queue. */
  readonly giveUpMs: number;
  /** The first retry's delay; each later one doubles it, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_DELIVERY_POLICY: Omit<DeliveryPolicy, 'giveUpMs'> = { lateNoticeMs: 60_000, firstDelayMs: 2_000, maxDelayMs: 60_000 };

export interface DeliveryDependencies {
  readonly store: Pick<ThreadStore, 'findByConversation' | 'findThreadOf' | 'touch' | 'reservationOf' | 'activate' | 'abandon'>;
  readonly ledger: Pick<DeliveryLedger, 'claim' | 'settle' | 'release' | 'stateOf'>;
  readonly queue: DeliveryQueue;
  readonly slack: () => Promise<SlackClient>;
  readonly users: Pick<UserDirectory, 'profiles' | 'profile'>;
  readonly sendToBotpress: BotpressSender;
  readonly pacer: SlackPacer;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly policy: DeliveryPolicy;
  readonly supportChannelId: string;
  /** Files both ways (shared/files): where agents' files are kept and linked from, and which plain-HTTP origin a customer's may come from. */
  readonly files: DeliveryFiles;
  readonly now?: () => number;
}

export interface DeliveryFiles extends Pick<AgentFileDependencies, 'files' | 'linkKey' | 'publicUrl' | 'linkSeconds' | 'slackApiUrl'> {
  /** The Botpress stand-in's origin, locally: the one a customer's file may come from over plain HTTP. */
  readonly plainHttpOrigin: () => Promise<string | undefined>;
}

export interface DeliveryAttempt {
  /** ApproximateReceiveCount: 1 on the first attempt. */
  readonly receiveCount: number;
  /** SentTimestamp: when the job was queued, milliseconds after the agent or the customer wrote. */
  readonly queuedAt: number;
}

export type DeliveryResult =
  | { readonly outcome: 'delivered' | 'duplicate' }
  /** Nothing left to do: the handoff the job was for is gone (a card update for an expired handoff). */
  | { readonly outcome: 'dropped'; readonly reason: string }
  /** Given up: the caller keeps the message in the dead-letter queue. `refusedBy`: a service refused it for good. */
  | { readonly outcome: 'gave-up'; readonly reason: string; readonly refusedBy?: DownstreamError['service'] | undefined };

/** Thrown to have the message received again after delayMs (the queue's visibility timeout). */
export class RetryDelivery extends BridgeError {
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

/** What the agent reads in the thread about a delivery that is late, then done or lost. */
interface Notices {
  readonly channelId: string;
  readonly threadTs: string;
  readonly late: string;
  readonly delivered: (minutesLate: number) => string;
  readonly lost: string;
}

const late = (minutes: number) => (minutes < 1 ? 'less than a minute' : `${Math.round(minutes)} min`);

/** Replies and Claim/Resolve have an agent waiting in a thread; the other jobs tell nobody there. */
export function noticesFor(job: DeliveryJob): Notices | undefined {
  if (job.kind === 'agent-reply' && job.reply.revision?.kind !== 'deleted') {
    return {
      channelId: job.reply.channelId,
      threadTs: job.reply.threadTs,
      late: ':hourglass_flowing_sand: Your reply has not reached the customer yet; the bridge is still trying.',
      delivered: (minutes) => `:white_check_mark: Your reply reached the customer, ${late(minutes)} late.`,
      lost: ':warning: Your reply above did not reach the customer: the bot could not be reached. Please send it again.',
    };
  }
  if (job.kind === 'agent-action') {
    const press = job.action.kind === 'claim' ? 'Claim' : 'Resolve';
    return {
      channelId: job.action.channelId,
      threadTs: job.action.threadTs,
      late: `:hourglass_flowing_sand: The bot has not heard of the ${press} yet; the bridge is still trying.`,
      delivered: (minutes) => `:white_check_mark: The bot heard of the ${press}, ${late(minutes)} late.`,
      lost: `:warning: The bot never heard of the ${press}: it could not be reached, and the customer was not told.`,
    };
  }
  return undefined;
}

/** Works on one job; throws RetryDelivery to be tried again later. */
export async function deliver(job: DeliveryJob, attempt: DeliveryAttempt, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const key = dedupeKey(...job.key);
  let token: string | undefined;
  let noticeTs: string | undefined;
  const progress: Progress = { partsDone: 0 };
  if (needsLedger(job)) {
    const claim = await deps.ledger.claim(key);
    if (claim.status === 'duplicate') return { outcome: 'duplicate' };
    // Only an attempt that died holding the claim leaves it pending (SQS hands a FIFO group's message to one consumer at a time).
    if (claim.status === 'in_flight') throw new RetryDelivery(deps.policy.firstDelayMs, 'another attempt holds this delivery');
    ({ token, noticeTs } = claim);
    progress.partsDone = claim.partsDone ?? 0;
  }

  let result: DeliveryResult;
  try {
    result = await perform(job, progress, deps);
  } catch (error) {
    return afterFailure(job, attempt, error, { key, token, noticeTs, progress }, deps);
  }
  const now = (deps.now ?? Date.now)();
  const notices = noticesFor(job);
  await settleLoggingFailures(deps.logger, 'bookkeeping after a delivery failed', { job: job.kind }, [
    token ? deps.ledger.settle(key, token, 'delivered') : undefined,
    noticeTs && notices ? updateNotice(notices, noticeTs, notices.delivered((now - attempt.queuedAt) / 60_000), deps) : undefined,
  ]);
  return result;
}

interface Held {
  readonly key: string;
  readonly token: string | undefined;
  readonly noticeTs: string | undefined;
  readonly progress: Progress;
}

/** How far a delivery in several posts got; an attempt goes on where the one before stopped. */
interface Progress {
  partsDone: number;
}

async function afterFailure(job: DeliveryJob, attempt: DeliveryAttempt, error: unknown, held: Held, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const { policy } = deps;
  const age = (deps.now ?? Date.now)() - attempt.queuedAt;
  const context = { job: job.kind, conversationId: conversationOf(job), receiveCount: attempt.receiveCount, ageMs: age };
  const permanent = error instanceof PermanentDownstreamError || error instanceof MalformedJobError;
  if (permanent || age >= policy.giveUpMs) {
    const reason = permanent ? `refused: ${(error as Error).message}` : `not delivered within ${Math.round(policy.giveUpMs / 60_000)} min: ${(error as Error).message}`;
    deps.logger.error('delivery given up', { ...context, reason, fix: error instanceof PermanentDownstreamError ? error.fix : undefined, error: error as Error });
    await giveUp(job, held, deps);
    return { outcome: 'gave-up', reason, refusedBy: error instanceof PermanentDownstreamError ? error.service : undefined };
  }

  // The service's own word when it gave one (a rate limit lifts when it says), else exponential backoff. Not later than the
  // deadline: the last attempt is made when the bridge would give up, not after.
  const retryAfter = error instanceof DownstreamError ? error.retryAfterMs : undefined;
  const backoff = Math.min(policy.firstDelayMs * 2 ** Math.max(attempt.receiveCount - 1, 0), policy.maxDelayMs);
  const delayMs = Math.min(retryAfter ?? backoff, Math.max(policy.giveUpMs - age, 0));
  let noticeTs = held.noticeTs;
  const notices = noticesFor(job);
  // Said as soon as it is certain: the next attempt comes after the moment the agent was promised to hear.
  if (notices && noticeTs === undefined && age + delayMs >= policy.lateNoticeMs) noticeTs = await postNotice(notices, notices.late, deps);
  deps.logger.warn('delivery failed; will retry', { ...context, delayMs, error: error as Error });
  if (held.token) {
    await deps.ledger.release(held.key, held.token, { noticeTs, partsDone: held.progress.partsDone || undefined }).catch((releaseError: unknown) => {
      // Its lease runs out on its own, and the retry claims it then.
      deps.logger.error('could not release delivery claim', { ...context, error: releaseError as Error });
    });
  }
  throw new RetryDelivery(delayMs, `delivery failed: ${(error as Error).message}`, { cause: error, noticed: noticeTs !== undefined && noticeTs !== held.noticeTs });
}

/** The final word: the agent's notice says it was lost; a customer's lost message is reported to the bot, so that the customer hears. */
async function giveUp(job: DeliveryJob, held: Held, deps: DeliveryDependencies): Promise<void> {
  const notices = noticesFor(job);
  await settleLoggingFailures(deps.logger, 'could not report a lost delivery', { job: job.kind }, [
    notices ? (held.noticeTs ? updateNotice(notices, held.noticeTs, notices.lost, deps) : postNotice(notices, notices.lost, deps)) : undefined,
    job.kind === 'customer-message' ? deps.queue.enqueue({ kind: 'customer-message-failed', key: ['customer-message-failed', ...job.key], conversationId: job.conversationId, ...(job.messageId ? { messageId: job.messageId } : {}) }) : undefined,
    // The card never got posted: the reservation goes (a later handoff can open), and the bot hears, so that the customer does.
    job.kind === 'open-thread' ? deps.store.abandon(job.conversationId, job.reservation) : undefined,
    job.kind === 'open-thread' ? deps.queue.enqueue({ kind: 'handoff-failed', key: ['handoff-failed', job.conversationId, job.reservation], conversationId: job.conversationId }) : undefined,
    // Released, not settled as done: should the message be redriven from the dead-letter queue, it is delivered then.
    held.token ? deps.ledger.release(held.key, held.token, { noticeTs: held.noticeTs, partsDone: held.progress.partsDone || undefined }) : undefined,
  ]);
}

async function postNotice(notices: Notices, text: string, deps: DeliveryDependencies): Promise<string | undefined> {
  try {
    const slack = await deps.slack();
    const posted = await deps.pacer.call(notices.channelId, 'chat.postMessage', () => slack.chat.postMessage({ channel: notices.channelId, thread_ts: notices.threadTs, text }));
    return posted.ts;
  } catch (error) {
    // The next attempt tries again; the log is the record meanwhile.
    deps.logger.error('could not post a delivery notice', { threadTs: notices.threadTs, error: error as Error });
    return undefined;
  }
}

async function updateNotice(notices: Notices, ts: string, text: string, deps: DeliveryDependencies): Promise<void> {
  const slack = await deps.slack();
  await deps.pacer.call(notices.channelId, 'chat.update', () => slack.chat.update({ channel: notices.channelId, ts, text }));
}

async function perform(job: DeliveryJob, progress: Progress, deps: DeliveryDependencies): Promise<DeliveryResult> {
  switch (job.kind) {
    case 'agent-reply':
      return sendAgentReply(job, deps);
    case 'agent-action':
      return sendAgentAction(job, deps);
    case 'customer-message-failed':
      await deps.sendToBotpress({
        type: 'customer_message_failed',
        eventId: JSON.stringify(job.key),
        conversationId: job.conversationId,
        ...(job.messageId ? { messageId: job.messageId } : {}),
        ...(job.file ? { fileName: job.file.name, reason: job.file.reason === 'too_large' ? 'file_too_large' : 'file_unreachable', maxFileBytes: FILE_LIMITS.maxBytes } : {}),
      });
      return { outcome: 'delivered' };
    case 'handoff-failed':
      await deps.sendToBotpress({ type: 'handoff_failed', eventId: JSON.stringify(job.key), conversationId: job.conversationId });
      return { outcome: 'delivered' };
    case 'open-thread':
      return openQueuedThread(job, deps);
    case 'thread-intro':
      return postThreadIntro(job, progress, deps);
    case 'customer-message':
      return postCustomerMessage(job, progress, deps);
    case 'card':
      return updateCard(job, deps);
    case 'note': {
      const slack = await deps.slack();
      await deps.pacer.call(job.channelId, 'chat.postMessage', () => slack.chat.postMessage({ channel: job.channelId, thread_ts: job.threadTs, text: job.text }));
      return { outcome: 'delivered' };
    }
    case 'private-notice': {
      const slack = await deps.slack();
      await deps.pacer.call(job.channelId, 'chat.postEphemeral', () =>
        slack.chat.postEphemeral({ channel: job.channelId, user: job.userId, thread_ts: job.threadTs, text: job.text }),
      );
      return { outcome: 'delivered' };
    }
  }
}

/** Told to an agent who deleted a reply the customer has: the webhook route cannot take a message back. */
export const DELETED_REPLY_NOTICE = 'The customer already has the message you deleted: it cannot be taken back from their chat. If it was wrong, reply with the correction.';

async function sendAgentReply(job: JobOf<'agent-reply'>, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const { reply } = job;
  if (reply.revision?.kind === 'deleted') return answerDeletion(job, deps);
  let userNames: Map<string, string> | undefined;
  let agentPictureUrl: string | undefined;
  try {
    // One lookup per person for names and the agent's picture: a slow users.info is waited for once.
    const profiles = await deps.users.profiles(await deps.slack(), [reply.userId, ...mentionedUserIds(reply.markup)]);
    userNames = new Map([...profiles].flatMap(([id, profile]) => (profile.name ? [[id, profile.name] as const] : [])));
    agentPictureUrl = profiles.get(reply.userId)?.pictureUrl;
  } catch (error) {
    deps.logger.warn('could not resolve user names', { eventId: reply.eventId, error: error as Error });
  }
  // Files first: a failure there (Slack or S3 down) retries the reply before any of it reached the customer.
  const { sent, refused } = reply.files?.length
    ? await rehostAgentFiles(reply.files, { ...deps.files, slack: deps.slack, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) })
    : { sent: [], refused: [] };
  const payload = { ...normalizeAgentReply(reply, { conversationId: job.conversationId, userNames }, sent), ...(agentPictureUrl ? { agentPictureUrl } : {}) };
  if (payload.text !== '' || sent.length > 0) await deps.sendToBotpress(payload);
  if (refused.length > 0) await tellAboutRefusedFiles(reply, refused, deps);
  deps.logger.info('agent reply delivered', {
    eventId: reply.eventId,
    conversationId: job.conversationId,
    messageTs: reply.messageTs,
    textLength: reply.markup.length,
    ...(reply.files?.length ? { filesSent: sent.length, filesRefused: refused.length } : {}),
  });
  return { outcome: 'delivered' };
}

/** The agent hears, privately and once the rest went out, which files the customer did not get and why. */
async function tellAboutRefusedFiles(reply: JobOf<'agent-reply'>['reply'], refused: readonly RefusedFile[], deps: DeliveryDependencies): Promise<void> {
  const lines = refused.map((file) => `• ${escapeSlackText(file.name)}: ${file.reason}`);
  const text = `:paperclip: Not sent to the customer:\n${lines.join('\n')}`;
  await settleLoggingFailures(deps.logger, 'could not tell the agent about files not sent', { eventId: reply.eventId }, [
    deps.slack().then((slack) =>
      deps.pacer.call(reply.channelId, 'chat.postEphemeral', () => slack.chat.postEphemeral({ channel: reply.channelId, user: reply.userId, thread_ts: reply.threadTs, text })),
    ),
  ]);
}

/**
 * Queued behind the reply it deletes, so that reply has been delivered or
 * given up by now: the agent hears the customer still has it, unless it was
 * lost (of which the agent was told already). A ledger record past its day
 * says nothing: then it was delivered long ago.
 */
async function answerDeletion(job: JobOf<'agent-reply'>, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const { reply } = job;
  const original = await deps.ledger.stateOf(dedupeKey('slack-message', reply.channelId, reply.messageTs));
  if (original !== undefined && original !== 'done') return { outcome: 'dropped', reason: 'the deleted reply never reached the customer' };
  const slack = await deps.slack();
  await deps.pacer.call(reply.channelId, 'chat.postEphemeral', () =>
    slack.chat.postEphemeral({ channel: reply.channelId, user: reply.userId, thread_ts: reply.threadTs, text: DELETED_REPLY_NOTICE }),
  );
  return { outcome: 'delivered' };
}

async function sendAgentAction(job: JobOf<'agent-action'>, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const { action } = job;
  const common = { conversationId: action.conversationId, userId: action.agentUserId, channelId: action.channelId, threadTs: action.threadTs };
  let event: BotpressEvent;
  if (action.kind === 'claim') {
    let agent: UserProfile = {};
    try {
      agent = await deps.users.profile(await deps.slack(), action.agentUserId);
    } catch {
      // A name is a nicety; the assignment is what matters.
    }
    event = {
      type: 'agent_assigned',
      eventId: `claim:${action.channelId}:${action.threadTs}`,
      ...common,
      ...(agent.name ? { agentName: agent.name } : {}),
      ...(agent.pictureUrl ? { agentPictureUrl: agent.pictureUrl } : {}),
    };
  } else {
    event = { type: 'handoff_resolved', eventId: `resolve:${action.channelId}:${action.threadTs}`, ...common };
  }
  await deps.sendToBotpress(event);
  if (action.kind === 'resolve') {
    // Said in the thread only now that it is true.
    await settleLoggingFailures(deps.logger, 'could not queue the resolved note', { conversationId: action.conversationId }, [
      deps.queue.enqueue({
        kind: 'note',
        key: ['resolved-note', action.conversationId, action.threadTs],
        conversationId: action.conversationId,
        channelId: action.channelId,
        threadTs: action.threadTs,
        text: `:white_check_mark: <@${action.agentUserId}> resolved this handoff; the bot has taken the conversation back.`,
      }),
    ]);
  }
  deps.logger.info('agent action delivered', { conversationId: action.conversationId, kind: action.kind });
  return { outcome: 'delivered' };
}

async function openQueuedThread(job: JobOf<'open-thread'>, deps: DeliveryDependencies): Promise<DeliveryResult> {
  // Only the reservation this job was queued with may open the thread: one that lapsed and was taken over opens its own.
  if ((await deps.store.reservationOf(job.conversationId)) !== job.reservation) {
    const current = await deps.store.findByConversation(job.conversationId);
    return current?.state === 'open' ? { outcome: 'duplicate' } : { outcome: 'dropped', reason: 'the reservation is no longer this job’s' };
  }
  const poster: CardPoster = (card) => deps.pacer.call(deps.supportChannelId, 'chat.postMessage', async () => (await deps.slack()).chat.postMessage({ channel: deps.supportChannelId, ...card, unfurl_links: false }));
  try {
    // The transcript was queued with this job, behind it: it follows the card.
    await postCardAndOpen(job.request, job.reservation, poster, deps, { transcriptFirst: false });
  } catch (error) {
    throw error instanceof CardNotPosted ? error.cause : error;
  }
  return { outcome: 'delivered' };
}

/**
 * Posts the parts of one delivery in order, from where an earlier attempt
 * stopped, counting each as it goes out: a retry after a failure halfway posts
 * the rest, not the whole again.
 */
async function postParts(
  thread: { readonly channelId: string; readonly threadTs: string },
  parts: readonly string[],
  progress: Progress,
  deps: DeliveryDependencies,
  extra: { readonly username?: string; readonly icon_emoji?: string } = {},
): Promise<void> {
  const slack = await deps.slack();
  for (const text of parts.slice(progress.partsDone)) {
    await deps.pacer.call(thread.channelId, 'chat.postMessage', () =>
      slack.chat.postMessage({ channel: thread.channelId, thread_ts: thread.threadTs, text, unfurl_links: false, ...extra }),
    );
    progress.partsDone += 1;
  }
}

async function postThreadIntro(job: JobOf<'thread-intro'>, progress: Progress, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const handoff = await deps.store.findThreadOf(job.conversationId);
  const forThisThread = handoff && (job.threadTs === undefined || (handoff.channelId === job.channelId && handoff.threadTs === job.threadTs));
  if (!handoff || !forThisThread) return { outcome: 'dropped', reason: 'the handoff’s thread is gone' };
  const parts = [...((job.summary && summaryInThread(job.summary)) ?? []), ...(job.transcript.length > 0 ? [transcriptText(job.transcript, job.omittedLines)] : [])];
  await postParts(handoff, parts, progress, deps);
  return { outcome: 'delivered' };
}

/**
 * How long one attempt starts files for before it leaves the rest to the next: a file started then takes at most
 * two transfers (FILE_TRANSFER_TIMEOUT_MS) and two Slack calls more, within the job's JOB_BUDGET_MS (25 s).
 */
export const FILES_PER_ATTEMPT_MS = 6_000;

async function postCustomerMessage(job: JobOf<'customer-message'>, progress: Progress, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const handoff = await deps.store.findThreadOf(job.conversationId);
  // Queued while the handoff was opening, and it never opened: the customer must hear that nobody got it.
  if (!handoff) throw new PermanentDownstreamError('slack', 'the handoff has no thread to post in', 'no_thread', 'nothing: the handoff never opened or has expired; the customer is told');
  // Whole, however long: in as many posts as Slack's 40,000 characters take, split at line ends.
  const parts = splitEscaped(job.text);
  const sender = customerUsername(handoff.customerName);
  await postParts(handoff, parts, progress, deps, {
    // chat:write.customize: the thread reads as a conversation with the customer, and says who is the customer,
    // lest a customer calling themselves "Maya (Support)" read as an agent.
    username: sender,
    icon_emoji: ':bust_in_silhouette:',
  });
  // Then the files, each a part of its own: a retry goes on from the first one not posted. Past FILES_PER_ATTEMPT_MS,
  // the next file waits for the next attempt, so that the invocation is never cut off with posts made but not noted.
  const files = job.files ?? [];
  const now = deps.now ?? Date.now;
  const stopAt = now() + FILES_PER_ATTEMPT_MS;
  const plainHttpOrigin = files.length > 0 ? await deps.files.plainHttpOrigin() : undefined;
  for (const file of files.slice(progress.partsDone - parts.length)) {
    if (now() > stopAt) throw new DownstreamError('file-host', 'more files than one attempt carries: the rest go in the next', { retryAfterMs: 0 });
    const outcome = await postCustomerFile(handoff, file, sender, { slack: deps.slack, pace: (method, call) => deps.pacer.call(handoff.channelId, method, call), plainHttpOrigin });
    if (!outcome.posted) await reportRefusedCustomerFile(job, handoff, outcome, deps);
    progress.partsDone += 1;
  }
  await settleLoggingFailures(deps.logger, 'could not refresh the handoff’s expiry', { conversationId: job.conversationId }, [
    handoff.state === 'open' ? deps.store.touch(handoff) : undefined,
  ]);
  deps.logger.info('customer message posted', { conversationId: job.conversationId, threadTs: handoff.threadTs, textLength: job.text.length });
  return { outcome: 'delivered' };
}

/** A customer's file that cannot reach the thread: the customer hears through the bot, the agents from a note. */
async function reportRefusedCustomerFile(
  job: JobOf<'customer-message'>,
  thread: { readonly channelId: string; readonly threadTs: string },
  refused: Extract<CustomerFileOutcome, { posted: false }>,
  deps: DeliveryDependencies,
): Promise<void> {
  deps.logger.warn('customer file not posted', { conversationId: job.conversationId, reason: refused.reason, detail: refused.detail });
  await deps.queue.enqueue({
    kind: 'customer-message-failed',
    key: ['customer-file-failed', ...job.key, refused.name],
    conversationId: job.conversationId,
    ...(job.messageId ? { messageId: job.messageId } : {}),
    file: { name: refused.name, reason: refused.reason },
  });
  const why = refused.reason === 'too_large' ? `it is over ${megabytes(FILE_LIMITS.maxBytes)}` : 'it could not be fetched from Botpress';
  const slack = await deps.slack();
  await deps.pacer.call(thread.channelId, 'chat.postMessage', () =>
    slack.chat.postMessage({ channel: thread.channelId, thread_ts: thread.threadTs, text: `:paperclip: The customer sent a file, ${escapeSlackText(refused.name)}, that is not shown here: ${why}. They have been told.` }),
  );
}

async function updateCard(job: JobOf<'card'>, deps: DeliveryDependencies): Promise<DeliveryResult> {
  const handoff = await deps.store.findThreadOf(job.conversationId);
  if (!handoff) return { outcome: 'dropped', reason: 'the handoff is gone' };
  // Rendered from the handoff as it is now, so that however many updates are queued, the last one shows the truth.
  const card = handoffCard(handoff);
  const slack = await deps.slack();
  await deps.pacer.call(handoff.channelId, 'chat.update', () => slack.chat.update({ channel: handoff.channelId, ts: handoff.threadTs, text: card.text, blocks: card.blocks }));
  return { outcome: 'delivered' };
}

/**
 * Slack limits chat.postMessage to about one message a second per channel,
 * and every card, customer message and notice goes to one channel. Once Slack
 * has said "retry after N s" for a channel, the rest of the batch's posts to
 * it wait too, instead of each earning its own 429.
 */
export class SlackPacer {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async call<T>(channelId: string, method: string, call: () => Promise<T>): Promise<T> {
    const until = this.until.get(channelId);
    const waitMs = until === undefined ? 0 : until - this.now();
    if (waitMs > 0) throw new DownstreamError('slack', `${method} held back: the channel is rate limited`, { status: 429, retryAfterMs: waitMs });
    try {
      return await callSlack(method, call);
    } catch (error) {
      if (error instanceof DownstreamError && error.status === 429 && error.retryAfterMs !== undefined) this.until.set(channelId, this.now() + error.retryAfterMs);
      throw error;
    }
  }
}

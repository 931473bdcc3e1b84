import type { CustomerMessageRequest, EndRequest, HandoffRequest } from './requests';
import { cardJob, noteJob, uniqueKey } from './delivery/jobs';
import { isMailAddress } from './mail-address';
import { remindWhileWaiting, type ReminderSettings } from './reminders';
import type { Handoff, HandoffDetails, HandoffStore, JobQueue, Log, OpeningHandoff, SupportDesk, ThreadRef } from './ports';
import { BridgeError, DownstreamError, PermanentDownstreamError, RetryLaterError } from '../platform/errors';
import { settleLoggingFailures } from '../platform/logger';

/*
 * The bot → desk path. Only the card is posted while the bot waits (its
 * thread is where the handoff lives); the transcript, the customer's
 * messages, card updates and notes go through the delivery queue, in one
 * FIFO group per conversation, so that the desk's rate limit or an outage
 * delays them, in order, instead of losing them or failing the request.
 */

export interface HandoffDependencies {
  readonly reminders: ReminderSettings;
  readonly store: Pick<HandoffStore, 'reserve' | 'activate' | 'abandon' | 'markQueued' | 'findByConversation' | 'findThreadOf' | 'close' | 'reopen'>;
  readonly queue: JobQueue;
  readonly desk: Pick<SupportDesk, 'postCard' | 'removeCard' | 'introFor'>;
  /** The channel handoffs open in, unless their queue has one of its own. */
  readonly supportChannelId: string;
  /** Each queue's channel, by the queue's name (SLACK_QUEUE_CHANNELS). */
  readonly queueChannels: ReadonlyMap<string, string>;
  readonly logger: Log;
  /** How long a queued card may wait for the desk: the delivery function's give-up time. */
  readonly queuedOpeningMs: number;
  /** How long a caller waits for a concurrent caller that is opening the same handoff. */
  readonly openWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Longer than posting a card takes; a reservation older than this belongs to a dead request. */
const RESERVATION_LEASE_MS = 15_000;

export type OpenHandoffResult =
  | { readonly status: 'created' | 'already_open'; readonly channelId: string; readonly threadTs: string }
  /** The desk could not take the card now; the bridge posts it as soon as it can, then what the customer writes meanwhile. */
  | { readonly status: 'queued' };

/**
 * Opens a desk thread for a conversation, once: while a handoff is open or
 * queued, repeated or concurrent calls get the same answer and post nothing.
 */
export async function openHandoff(request: HandoffRequest, deps: HandoffDependencies): Promise<OpenHandoffResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (deps.openWaitMs ?? 5_000);
  for (;;) {
    const reservation = await deps.store.reserve(request.conversationId, handoffDetails(request, deps.queueChannels), RESERVATION_LEASE_MS);
    if (reservation.reserved) return openReserved(request, reservation.token, deps);
    const { current } = reservation;
    if (current.state === 'open') return { status: 'already_open', channelId: current.channelId, threadTs: current.threadTs };
    if (current.state === 'opening' && current.queued) return { status: 'queued' };
    // Another request holds the reservation and is posting the card right now: wait for its thread.
    if (Date.now() >= deadline) throw new RetryLaterError(`handoff for ${request.conversationId} is still being opened`);
    await sleep(100);
  }
}

async function openReserved(request: HandoffRequest, token: string, deps: HandoffDependencies): Promise<OpenHandoffResult> {
  let opened: Handoff;
  try {
    opened = await postCardAndOpen(request, token, deps, { transcriptFirst: true });
  } catch (error) {
    if (!(error instanceof CardNotPosted) || error.cause instanceof PermanentDownstreamError) {
      // Given back so that the bot's retry (or its next handoff, once the refusal is fixed) can reserve at once. If that fails
      // too, the lease runs out on its own; the first failure stays the one reported.
      await deps.store.abandon(request.conversationId, token).catch((abandonError: unknown) => {
        deps.logger.error('could not give the handoff reservation back', { conversationId: request.conversationId, error: abandonError as Error });
      });
      throw error instanceof CardNotPosted ? error.cause : error;
    }
    return queueOpening(request, token, error.cause, deps);
  }
  return { status: 'created', channelId: opened.channelId, threadTs: opened.threadTs };
}

/** The desk could not take the card now: the delivery function posts it, then the transcript, then the customer's messages. */
async function queueOpening(request: HandoffRequest, token: string, cause: DownstreamError, deps: HandoffDependencies): Promise<OpenHandoffResult> {
  const { conversationId } = request;
  // The card's part of the request only: the transcript goes in the intro job, shortened to what will show.
  const { transcript: _transcript, ...forCard } = request;
  await deps.queue.enqueue({ kind: 'open-thread', key: ['open-thread', conversationId, token], conversationId, reservation: token, request: forCard });
  await enqueueIntro(request, undefined, deps);
  if (!(await deps.store.markQueued(conversationId, token, deps.queuedOpeningMs))) {
    // The reservation lapsed meanwhile (the request took over 15 s): the queued card finds it gone and posts nothing.
    throw new RetryLaterError(`handoff for ${conversationId} lost its reservation while being queued`);
  }
  deps.logger.warn('handoff card queued: the desk could not take it now', { conversationId, error: cause });
  return { status: 'queued' };
}

/** What opening a handoff on a posted card needs; the request path and the delivery function both have it. */
export type CardOpeningDependencies = Pick<HandoffDependencies, 'queue' | 'desk' | 'supportChannelId' | 'queueChannels' | 'logger' | 'reminders'> & {
  readonly store: Pick<HandoffStore, 'activate' | 'abandon'>;
};

/** The card could not be posted; `cause` says whether trying again can help. */
export class CardNotPosted extends BridgeError {
  override readonly name: string = 'CardNotPosted';
  constructor(override readonly cause: DownstreamError) {
    super(`handoff card not posted: ${cause.message}`, { cause });
  }
}

/**
 * Posts the card and opens the handoff on its thread, under a reservation.
 * With `transcriptFirst`, the thread's intro (the whole summary if the card
 * had to shorten it, the transcript) is queued before the handoff opens, so
 * that it comes before anything the customer writes next.
 * A card whose handoff could not be stored is taken down (see withdrawCard).
 */
export async function postCardAndOpen(
  request: HandoffRequest,
  token: string,
  deps: CardOpeningDependencies,
  options: { readonly transcriptFirst: boolean; readonly lookSince?: number | undefined },
): Promise<Handoff> {
  const { conversationId } = request;
  let thread: ThreadRef;
  try {
    // Named by the reservation: a card the desk took without answering in time is found, not posted twice.
    const placement = { postId: `card:${conversationId}:${token}`, lookSince: options.lookSince };
    const details = handoffDetails(request, deps.queueChannels);
    thread = await deps.desk.postCard(channelFor(details.queue, deps), { conversationId, state: 'open', ...details }, placement);
  } catch (error) {
    // The desk's failures are DownstreamErrors; anything else is a bug, and goes up as it is.
    throw error instanceof DownstreamError ? new CardNotPosted(error) : error;
  }
  let handoff: Handoff;
  try {
    if (options.transcriptFirst) await enqueueIntro(request, thread, deps);
    handoff = await deps.store.activate(conversationId, token, thread);
  } catch (error) {
    await withdrawCard(conversationId, token, thread, deps);
    throw error;
  }
  deps.logger.info('handoff opened', { conversationId, channelId: handoff.channelId, threadTs: handoff.threadTs });
  // Open whatever happens to the timer: a reminder that cannot be set is logged, and the card is there to be seen.
  await settleLoggingFailures(deps.logger, 'could not set the handoff’s first reminder', { conversationId }, [remindWhileWaiting(handoff, deps)]);
  return handoff;
}

/**
 * The card is posted but the handoff could not be stored. The card is taken
 * down, lest agents claim a card that leads nowhere beside the retry's, but
 * only when giving the reservation back proves the handoff did not open: a
 * write whose answer was lost may have opened it, and then the retry finds it
 * open, on this very card.
 */
async function withdrawCard(conversationId: string, token: string, thread: ThreadRef, deps: CardOpeningDependencies): Promise<void> {
  try {
    if (!(await deps.store.abandon(conversationId, token))) return;
    await deps.desk.removeCard(thread);
  } catch (error) {
    deps.logger.error('could not withdraw the card of a handoff that failed to open', { conversationId, threadTs: thread.threadTs, error: error as Error });
  }
}

/**
 * What the handoff keeps of the request. An e-mail address that is not one
 * does not fail the handoff (the customer still reaches a person): it is kept,
 * shortened to what an address can be, with a flag the card shows.
 */
function handoffDetails(request: HandoffRequest, queueChannels: ReadonlyMap<string, string>): HandoffDetails {
  const email = request.customer?.email || undefined;
  const valid = email === undefined || isMailAddress(email);
  const queue = request.queue?.toLowerCase() || undefined;
  return {
    ...(queue ? { queue, ...(queueChannels.has(queue) ? {} : { queueUnrouted: true }) } : {}),
    botpressUserId: request.userId,
    customerName: request.customer?.name || undefined,
    customerEmail: valid ? email : [...email].slice(0, MAX_MAIL_ADDRESS).join(''),
    ...(valid ? {} : { customerEmailInvalid: true }),
    summary: request.summary,
  };
}

/** Where a handoff opens: its queue's channel, or the support channel for no queue or one without a channel. */
function channelFor(queue: string | undefined, deps: Pick<HandoffDependencies, 'supportChannelId' | 'queueChannels'>): string {
  return (queue !== undefined ? deps.queueChannels.get(queue) : undefined) ?? deps.supportChannelId;
}

/** The end reasons the bot's side sends as codes (README, POST /botpress/end). */
const KNOWN_END_REASONS: ReadonlySet<string> = new Set(['user_ended', 'timeout']);

/** RFC 5321's longest address. */
const MAX_MAIL_ADDRESS = 254;

/**
 * Queues the thread's first posts, if there are any: for the given thread, or
 * (queued with its card) for whichever thread the conversation gets. Only what
 * the desk can show goes on the queue (SupportDesk.introFor).
 */
async function enqueueIntro(request: HandoffRequest, thread: ThreadRef | undefined, deps: Pick<HandoffDependencies, 'queue' | 'desk'>): Promise<void> {
  const intro = deps.desk.introFor(request.summary, request.transcript ?? []);
  if (!intro) return;
  await deps.queue.enqueue({
    kind: 'thread-intro',
    key: ['thread-intro', request.conversationId, ...(thread ? [thread.threadTs] : uniqueKey('thread-intro'))],
    conversationId: request.conversationId,
    ...thread,
    ...intro,
    transcript: [...intro.transcript],
  });
}

/** `queued` is false for a duplicate messageId or when there is no handoff; the caller answers the bot with `handoffActive`. */
export type CustomerMessageResult = { readonly handoffActive: boolean; readonly queued: boolean };

/**
 * Queues a customer's message for the handoff thread, behind the conversation's
 * earlier ones. No live handoff (never opened, resolved, ended, expired)
 * answers handoffActive: false: the bot's signal to take the conversation back.
 */
export async function forwardCustomerMessage(request: CustomerMessageRequest, deps: HandoffDependencies): Promise<CustomerMessageResult> {
  const handoff = await settledHandoff(request.conversationId, deps, deps.openWaitMs ?? 5_000);
  if (handoff?.state !== 'open' && handoff?.state !== 'opening') return { handoffActive: false, queued: false };
  await deps.queue.enqueue({
    kind: 'customer-message',
    // The same messageId twice is queued once (SQS within 5 minutes) and posted once (the delivery ledger, for a day).
    key: request.messageId ? ['botpress-message', request.conversationId, request.messageId] : uniqueKey('customer-message'),
    conversationId: request.conversationId,
    text: request.text,
    ...(request.messageId ? { messageId: request.messageId } : {}),
    ...(request.files?.length ? { files: [...request.files] } : {}),
  });
  deps.logger.info('customer message queued', { conversationId: request.conversationId, textLength: request.text.length, files: request.files?.length ?? 0 });
  return { handoffActive: true, queued: true };
}

/**
 * The conversation's handoff, once no request is posting its card: a message
 * written meanwhile is queued behind the thread's intro, which goes on the
 * queue just before the handoff opens (postCardAndOpen). A queued card's jobs
 * are on the queue already. Past the wait (the posting request has died), the
 * handoff as it is; the delivery retries until it opens or gives up.
 */
export async function settledHandoff(
  conversationId: string,
  deps: { readonly store: Pick<HandoffStore, 'findByConversation'>; readonly sleep?: ((ms: number) => Promise<void>) | undefined },
  waitMs: number,
): Promise<Handoff | OpeningHandoff | undefined> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + waitMs;
  let handoff = await deps.store.findByConversation(conversationId);
  while (handoff?.state === 'opening' && !handoff.queued && Date.now() < deadline) {
    await sleep(50);
    handoff = await deps.store.findByConversation(conversationId);
  }
  return handoff;
}

/** Ends a handoff from the bot's side (the customer left, or the conversation timed out). Idempotent. */
export async function endHandoff(request: EndRequest, deps: HandoffDependencies): Promise<{ readonly status: 'closed'; readonly changed: boolean }> {
  const handoff = await deps.store.findThreadOf(request.conversationId);
  if (handoff?.state !== 'open') return { status: 'closed', changed: false };
  const closed = await deps.store.close(handoff.conversationId, handoff.threadTs, { by: 'customer', reason: request.reason });
  if (!closed) return { status: 'closed', changed: false };

  try {
    await deps.queue.enqueue(cardJob(closed.conversationId));
    await deps.queue.enqueue(noteJob(closed, { kind: 'ended', reason: request.reason }));
  } catch (error) {
    // Undone, so that the bot's retry ends it again and the agents are told then; else nobody would ever tell them.
    await deps.store.reopen(closed.conversationId, closed.threadTs, 'customer').catch((reopenError: unknown) => {
      deps.logger.error('could not undo the end of a handoff whose notes could not be queued', { conversationId: closed.conversationId, error: reopenError as Error });
    });
    throw error;
  }
  // The bot's reason may be free text: only the ones the bridge knows are logged as they are.
  deps.logger.info('handoff ended by the bot', { conversationId: closed.conversationId, reason: KNOWN_END_REASONS.has(request.reason) ? request.reason : 'other', reasonLength: request.reason.length });
  return { status: 'closed', changed: true };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { CustomerMessageRequest, EndRequest, HandoffRequest } from './botpress-requests';
import { cardJob, uniqueKey } from './delivery-jobs';
import type { DeliveryQueue } from './delivery-queue';
import { BridgeError, DownstreamError, PermanentDownstreamError, RetryLaterError } from './errors';
import { endReasonText, handoffCard, newestLinesThatFit, summaryInThread, type SlackMessageContent } from './slack/cards';
import { callSlack, type SlackClient } from './slack/client';
import { isMailAddress } from './email';
import type { Handoff, HandoffDetails, ThreadStore } from './thread-store';

/*
 * The Botpress → Slack path. Only the card is posted while Botpress waits (its
 * ts is the thread the handoff lives in); the transcript, the customer's
 * messages, card updates and notes go through the delivery queue, in one
 * FIFO group per conversation, so that Slack's rate limit or an outage
 * delays them, in order, instead of losing them or failing the request.
 */

export interface HandoffDependencies {
  readonly store: Pick<ThreadStore, 'reserve' | 'activate' | 'abandon' | 'markQueued' | 'findByConversation' | 'findThreadOf' | 'close' | 'reopen'>;
  readonly queue: DeliveryQueue;
  readonly slack: () => Promise<SlackClient>;
  readonly supportChannelId: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long a queued card may wait for Slack: the delivery function's give-up time. */
  readonly queuedOpeningMs: number;
  /** How long a caller waits for a concurrent caller that is opening the same handoff. */
  readonly openWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Longer than posting a card takes; a reservation older than this belongs to a dead request. */
const RESERVATION_LEASE_MS = 15_000;

export type OpenHandoffResult =
  | { readonly status: 'created' | 'already_open'; readonly channelId: string; readonly threadTs: string }
  /** Slack could not take the card now; the bridge posts it as soon as Slack can, then what the customer writes meanwhile. */
  | { readonly status: 'queued' };

/**
 * Opens a Slack thread for a conversation, once: while a handoff is open or
 * queued, repeated or concurrent calls get the same answer and post nothing.
 */
export async function openHandoff(request: HandoffRequest, deps: HandoffDependencies): Promise<OpenHandoffResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (deps.openWaitMs ?? 5_000);
  for (;;) {
    const reservation = await deps.store.reserve(request.conversationId, handoffDetails(request), RESERVATION_LEASE_MS);
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
  const poster: CardPoster = async (card) => {
    const slack = await deps.slack();
    return callSlack('chat.postMessage', () => slack.chat.postMessage({ channel: deps.supportChannelId, text: card.text, blocks: card.blocks, unfurl_links: false }));
  };
  let opened: Handoff;
  try {
    opened = await postCardAndOpen(request, token, poster, deps, { transcriptFirst: true });
  } catch (error) {
    if (!(error instanceof CardNotPosted) || error.cause instanceof PermanentDownstreamError) {
      // Given back so that Botpress's retry (or its next handoff, once the refusal is fixed) can reserve at once. If that fails
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

/** Slack could not take the card now: the delivery function posts it, then the transcript, then the customer's messages. */
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
  deps.logger.warn('handoff card queued: Slack could not take it now', { conversationId, error: cause });
  return { status: 'queued' };
}

/** What opening a handoff on a posted card needs; the request path and the delivery function both have it. */
export type CardOpeningDependencies = Pick<HandoffDependencies, 'queue' | 'slack' | 'supportChannelId' | 'logger'> & {
  readonly store: Pick<ThreadStore, 'activate' | 'abandon'>;
};

/** Posts a handoff card; the message's ts becomes the thread's. */
export type CardPoster = (card: SlackMessageContent) => Promise<{ readonly ts?: string | undefined }>;

/** The card could not be posted; `cause` says whether trying again can help. */
export class CardNotPosted extends BridgeError {
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
  postCard: CardPoster,
  deps: CardOpeningDependencies,
  options: { readonly transcriptFirst: boolean },
): Promise<Handoff> {
  const { conversationId } = request;
  let threadTs: string;
  try {
    const card = handoffCard({ conversationId, state: 'open', ...handoffDetails(request) });
    threadTs = (await postCard(card)).ts!;
  } catch (error) {
    throw new CardNotPosted(error instanceof DownstreamError ? error : new DownstreamError('slack', 'chat.postMessage failed', { cause: error }));
  }
  let handoff: Handoff;
  try {
    const thread = { channelId: deps.supportChannelId, threadTs };
    if (options.transcriptFirst) await enqueueIntro(request, thread, deps);
    handoff = await deps.store.activate(conversationId, token, thread);
  } catch (error) {
    await withdrawCard(conversationId, token, threadTs, deps);
    throw error;
  }
  deps.logger.info('handoff opened', { conversationId, channelId: handoff.channelId, threadTs });
  return handoff;
}

/**
 * The card is posted but the handoff could not be stored. The card is taken
 * down, lest agents claim a card that leads nowhere beside the retry's, but
 * only when giving the reservation back proves the handoff did not open: a
 * write whose answer was lost may have opened it, and then the retry finds it
 * open, on this very card.
 */
async function withdrawCard(conversationId: string, token: string, threadTs: string, deps: CardOpeningDependencies): Promise<void> {
  try {
    if (!(await deps.store.abandon(conversationId, token))) return;
    const slack = await deps.slack();
    await callSlack('chat.delete', () => slack.chat.delete({ channel: deps.supportChannelId, ts: threadTs }));
  } catch (error) {
    deps.logger.error('could not withdraw the card of a handoff that failed to open', { conversationId, threadTs, error: error as Error });
  }
}

/**
 * What the handoff keeps of the request. An e-mail address that is not one
 * does not fail the handoff (the customer still reaches a person): it is kept,
 * shortened to what an address can be, with a flag the card shows.
 */
function handoffDetails(request: HandoffRequest): HandoffDetails {
  const email = request.customer?.email || undefined;
  const valid = email === undefined || isMailAddress(email);
  return {
    botpressUserId: request.userId,
    customerName: request.customer?.name || undefined,
    customerEmail: valid ? email : [...email].slice(0, MAX_MAIL_ADDRESS).join(''),
    ...(valid ? {} : { customerEmailInvalid: true }),
    summary: request.summary,
  };
}

/** RFC 5321's longest address. */
const MAX_MAIL_ADDRESS = 254;

/**
 * Queues the thread's first posts, if there are any: for the given thread, or
 * (queued with its card) for whichever thread the conversation gets. Only the
 * transcript's lines that can show go on the queue (a message there is at
 * most 256 KiB; a hundred long lines are more).
 */
async function enqueueIntro(request: HandoffRequest, thread: { channelId: string; threadTs: string } | undefined, deps: Pick<HandoffDependencies, 'queue'>): Promise<void> {
  const lines = request.transcript ?? [];
  const shown = newestLinesThatFit(lines);
  const cut = summaryInThread(request.summary) !== undefined;
  if (shown.length === 0 && !cut) return;
  await deps.queue.enqueue({
    kind: 'thread-intro',
    key: ['thread-intro', request.conversationId, ...(thread ? [thread.threadTs] : uniqueKey('thread-intro'))],
    conversationId: request.conversationId,
    ...thread,
    ...(cut ? { summary: request.summary } : {}),
    transcript: shown,
    omittedLines: lines.length - shown.length,
  });
}

/** `queued` is false for a duplicate messageId or when there is no handoff; the caller answers Botpress with `handoffActive`. */
export type CustomerMessageResult = { readonly handoffActive: boolean; readonly queued: boolean };

/**
 * Queues a customer's message for the handoff thread, behind the conversation's
 * earlier ones. No live handoff (never opened, resolved, ended, expired)
 * answers handoffActive: false: the bot's signal to take the conversation back.
 */
export async function forwardCustomerMessage(request: CustomerMessageRequest, deps: HandoffDependencies): Promise<CustomerMessageResult> {
  const handoff = await deps.store.findByConversation(request.conversationId);
  if (handoff?.state !== 'open' && handoff?.state !== 'opening') return { handoffActive: false, queued: false };
  await deps.queue.enqueue({
    kind: 'customer-message',
    // The same messageId twice is queued once (SQS within 5 minutes) and posted once (the delivery ledger, for a day).
    key: request.messageId ? ['botpress-message', request.conversationId, request.messageId] : uniqueKey('customer-message'),
    conversationId: request.conversationId,
    text: request.text,
    ...(request.messageId ? { messageId: request.messageId } : {}),
    ...(request.files?.length ? { files: request.files } : {}),
  });
  deps.logger.info('customer message queued', { conversationId: request.conversationId, textLength: request.text.length, files: request.files?.length ?? 0 });
  return { handoffActive: true, queued: true };
}

/** Ends a handoff from the Botpress side (the customer left, or the conversation timed out). Idempotent. */
export async function endHandoff(request: EndRequest, deps: HandoffDependencies): Promise<{ readonly status: 'closed'; readonly changed: boolean }> {
  const handoff = await deps.store.findThreadOf(request.conversationId);
  if (handoff?.state !== 'open') return { status: 'closed', changed: false };
  const closed = await deps.store.close(handoff.conversationId, handoff.threadTs, { by: 'customer', reason: request.reason });
  if (!closed) return { status: 'closed', changed: false };

  try {
    await deps.queue.enqueue(cardJob(closed.conversationId));
    await deps.queue.enqueue({
      kind: 'note',
      key: ['ended-note', closed.conversationId, closed.threadTs],
      conversationId: closed.conversationId,
      channelId: closed.channelId,
      threadTs: closed.threadTs,
      text: `:door: ${capitalize(endReasonText(request.reason))}. Replies here no longer reach the customer.`,
    });
  } catch (error) {
    // Undone, so that Botpress's retry ends it again and the agents are told then; else nobody would ever tell them.
    await deps.store.reopen(closed.conversationId, closed.threadTs, 'customer').catch((reopenError: unknown) => {
      deps.logger.error('could not undo the end of a handoff whose notes could not be queued', { conversationId: closed.conversationId, error: reopenError as Error });
    });
    throw error;
  }
  deps.logger.info('handoff ended by the bot', { conversationId: closed.conversationId, reason: request.reason });
  return { status: 'closed', changed: true };
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

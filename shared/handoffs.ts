import type { Logger } from '@aws-lambda-powertools/logger';
import type { CustomerMessageRequest, EndRequest, HandoffRequest } from './botpress-requests';
import { dedupeKey, type DeliveryLedger } from './delivery-ledger';
import { RetryLaterError } from './errors';
import { endReasonText, handoffCard, transcriptText } from './slack/cards';
import { callSlack, type SlackClient } from './slack/client';
import { settleLoggingFailures } from './logger';
import { escapeSlackText } from './slack/markup';
import type { Handoff, ThreadStore } from './thread-store';

export interface HandoffDependencies {
  readonly store: Pick<ThreadStore, 'reserve' | 'activate' | 'abandon' | 'findByConversation' | 'touch' | 'close'>;
  readonly ledger: Pick<DeliveryLedger, 'claim' | 'settle' | 'release'>;
  readonly slack: () => Promise<SlackClient>;
  readonly supportChannelId: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long a caller waits for a concurrent caller that is opening the same handoff. */
  readonly openWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Longer than posting a card takes; a reservation older than this belongs to a dead request. */
const RESERVATION_LEASE_MS = 15_000;

export type OpenHandoffResult = { readonly status: 'created' | 'already_open'; readonly channelId: string; readonly threadTs: string };

/**
 * Opens a Slack thread for a conversation, once: while a handoff is open,
 * repeated or concurrent calls get the same thread and post nothing.
 */
export async function openHandoff(request: HandoffRequest, deps: HandoffDependencies): Promise<OpenHandoffResult> {
  const details = {
    botpressUserId: request.userId,
    customerName: request.customer?.name || undefined,
    customerEmail: request.customer?.email || undefined,
    summary: request.summary,
  };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (deps.openWaitMs ?? 5_000);

  for (;;) {
    const reservation = await deps.store.reserve(request.conversationId, details, RESERVATION_LEASE_MS);
    if (reservation.reserved) return postHandoffThread(request, details, reservation.token, deps);
    if (reservation.current.state === 'open') {
      const { channelId, threadTs } = reservation.current;
      return { status: 'already_open', channelId, threadTs };
    }
    // Another request holds the reservation and is posting the card right now: wait for its thread.
    if (Date.now() >= deadline) throw new RetryLaterError(`handoff for ${request.conversationId} is still being opened`);
    await sleep(100);
  }
}

async function postHandoffThread(
  request: HandoffRequest,
  details: Pick<Handoff, 'summary' | 'customerName' | 'customerEmail'>,
  token: string,
  deps: HandoffDependencies,
): Promise<OpenHandoffResult> {
  let threadTs: string;
  try {
    const slack = await deps.slack();
    const card = handoffCard({ conversationId: request.conversationId, state: 'open', ...details });
    const posted = await callSlack('chat.postMessage', () =>
      slack.chat.postMessage({ channel: deps.supportChannelId, text: card.text, blocks: card.blocks, unfurl_links: false }),
    );
    threadTs = posted.ts!;
  } catch (error) {
    // Give the reservation back so that Botpress's retry can open the handoff at once. If that fails too, the
    // lease runs out on its own; the Slack failure stays the one reported.
    await deps.store.abandon(request.conversationId, token).catch((abandonError: unknown) => {
      deps.logger.error('could not give the handoff reservation back', { conversationId: request.conversationId, error: abandonError as Error });
    });
    throw error;
  }
  let handoff: Handoff;
  try {
    handoff = await deps.store.activate(request.conversationId, token, { channelId: deps.supportChannelId, threadTs });
  } catch (error) {
    await withdrawCard(request.conversationId, token, threadTs, deps);
    throw error;
  }
  deps.logger.info('handoff opened', { conversationId: handoff.conversationId, channelId: handoff.channelId, threadTs });

  if (request.transcript && request.transcript.length > 0) {
    try {
      const slack = await deps.slack();
      await callSlack('chat.postMessage', () =>
        slack.chat.postMessage({ channel: handoff.channelId, thread_ts: threadTs, text: transcriptText(request.transcript!), unfurl_links: false }),
      );
    } catch (error) {
      // The handoff exists and agents can work without the transcript; failing the call would open a second thread on retry.
      deps.logger.error('could not post the transcript', { conversationId: handoff.conversationId, error: error as Error });
    }
  }
  return { status: 'created', channelId: handoff.channelId, threadTs };
}

/**
 * The card is posted but the handoff could not be stored, and Botpress will
 * retry. The card is taken down, lest agents claim a card that leads nowhere
 * beside the retry's, but only when giving the reservation back proves the
 * handoff did not open: a write whose answer was lost may have opened it, and
 * then the retry finds it open, on this very card.
 */
async function withdrawCard(conversationId: string, token: string, threadTs: string, deps: HandoffDependencies): Promise<void> {
  try {
    if (!(await deps.store.abandon(conversationId, token))) return;
    const slack = await deps.slack();
    await callSlack('chat.delete', () => slack.chat.delete({ channel: deps.supportChannelId, ts: threadTs }));
  } catch (error) {
    deps.logger.error('could not withdraw the card of a handoff that failed to open', { conversationId, threadTs, error: error as Error });
  }
}

/** `posted` is false for a duplicate messageId; the caller answers Botpress with `handoffActive` alone. */
export type CustomerMessageResult = { readonly handoffActive: boolean; readonly posted: boolean };

/**
 * Posts a customer's message in the handoff thread, as the customer. No open
 * handoff (never opened, resolved, ended, expired) answers handoffActive: false:
 * the bot's signal to take the conversation back.
 */
export async function forwardCustomerMessage(request: CustomerMessageRequest, deps: HandoffDependencies): Promise<CustomerMessageResult> {
  const handoff = await deps.store.findByConversation(request.conversationId);
  if (handoff?.state !== 'open') return { handoffActive: false, posted: false };

  const keys = request.messageId ? [dedupeKey('botpress-message', request.conversationId, request.messageId)] : [];
  const claim = keys.length > 0 ? await deps.ledger.claim(keys) : undefined;
  if (claim?.status === 'duplicate') return { handoffActive: true, posted: false };
  if (claim?.status === 'in_flight') throw new RetryLaterError(`message ${request.messageId} is being posted by another request`);

  try {
    const slack = await deps.slack();
    await callSlack('chat.postMessage', () =>
      slack.chat.postMessage({
        channel: handoff.channelId,
        thread_ts: handoff.threadTs,
        text: escapeSlackText(request.text),
        // chat:write.customize: the thread reads as a conversation with the customer.
        username: handoff.customerName ?? 'Website visitor',
        icon_emoji: ':bust_in_silhouette:',
        unfurl_links: false,
      }),
    );
  } catch (error) {
    if (claim?.status === 'claimed') {
      // As above: the claim's lease runs out on its own, and the Slack failure stays the one reported.
      await deps.ledger.release(keys, claim.token).catch((releaseError: unknown) => {
        deps.logger.error('could not release delivery claim', { conversationId: request.conversationId, error: releaseError as Error });
      });
    }
    throw error;
  }
  await settleLoggingFailures(deps.logger, 'bookkeeping after posting a customer message failed', { conversationId: request.conversationId }, [
    claim?.status === 'claimed' ? deps.ledger.settle(keys, claim.token, 'delivered') : undefined,
    deps.store.touch(handoff),
  ]);
  deps.logger.info('customer message posted', { conversationId: request.conversationId, threadTs: handoff.threadTs, textLength: request.text.length });
  return { handoffActive: true, posted: true };
}

/** Ends a handoff from the Botpress side (the customer left, or the conversation timed out). Idempotent. */
export async function endHandoff(request: EndRequest, deps: HandoffDependencies): Promise<{ readonly status: 'closed'; readonly changed: boolean }> {
  const handoff = await deps.store.findByConversation(request.conversationId);
  if (handoff?.state !== 'open') return { status: 'closed', changed: false };
  const closed = await deps.store.close(handoff.conversationId, handoff.threadTs, { by: 'customer', reason: request.reason });
  if (!closed) return { status: 'closed', changed: false };

  deps.logger.info('handoff ended by the bot', { conversationId: closed.conversationId, reason: request.reason });
  await noteInThread(closed, `:door: ${capitalize(endReasonText(request.reason))}. Replies here no longer reach the customer.`, deps);
  return { status: 'closed', changed: true };
}

/**
 * Notes a state change in the thread and re-renders the card (unless the card
 * already shows it: `card: false`). The state change is already stored, so a
 * Slack failure is logged rather than thrown: a retry would find the handoff
 * closed and could not post the note anyway.
 */
export async function noteInThread(
  handoff: Handoff,
  note: string | undefined,
  deps: Pick<HandoffDependencies, 'slack' | 'logger'>,
  { card: rerenderCard = true }: { readonly card?: boolean } = {},
): Promise<void> {
  const card = handoffCard(handoff);
  const context = { conversationId: handoff.conversationId };
  let slack: SlackClient;
  try {
    // Can fail too: the first use after the secrets' cache expired reads them again.
    slack = await deps.slack();
  } catch (error) {
    deps.logger.error('could not update the handoff card', { ...context, error: error as Error });
    return;
  }
  await settleLoggingFailures(deps.logger, 'could not update the handoff card', context, [
    rerenderCard ? callSlack('chat.update', () => slack.chat.update({ channel: handoff.channelId, ts: handoff.threadTs, text: card.text, blocks: card.blocks })) : undefined,
    note ? callSlack('chat.postMessage', () => slack.chat.postMessage({ channel: handoff.channelId, thread_ts: handoff.threadTs, text: note })) : undefined,
  ]);
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

import type { Logger } from '@aws-lambda-powertools/logger';
import type { BotpressSender } from './botpress-client';
import { settleLoggingFailures } from './logger';
import { dedupeKey, type DeliveryLedger } from './delivery-ledger';
import { normalizeAgentReply, selectAgentReply, type AgentReply, type IgnoreReason } from './normalize';
import type { SlackEventCallback } from './slack/events';
import { callSlack, type SlackClient, type UserDirectory } from './slack/client';
import { mentionedUserIds } from './slack/markup';
import type { Handoff, ThreadStore } from './thread-store';

/** Slack retries a failed event 3 times; the attempt carrying this retry number is the last. */
export const SLACK_FINAL_RETRY = 3;

const BOT_ECHOES: ReadonlySet<IgnoreReason> = new Set(['from_a_bot', 'own_message']);

export const NOT_CONNECTED_NOTICE =
  'This conversation is no longer connected to a customer (the handoff was resolved, ended or has expired), so your reply was not delivered.';
export const UNDELIVERED_NOTICE =
  ':warning: The reply above did not reach the customer: the bot could not be reached after several attempts. Please send it again.';

export interface RelayDependencies {
  readonly store: Pick<ThreadStore, 'findByThread' | 'touch'>;
  readonly ledger: Pick<DeliveryLedger, 'claim' | 'settle' | 'release'>;
  readonly slack: () => Promise<SlackClient>;
  readonly users: Pick<UserDirectory, 'displayNames'>;
  readonly sendToBotpress: BotpressSender;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

export interface RelayAttempt {
  /** `X-Slack-Retry-Num`: 0 for the first delivery. */
  readonly retryNum: number;
}

export type RelayOutcome =
  | { readonly outcome: 'duplicate' }
  /** Another attempt of the same event is running; the sender should try again later. */
  | { readonly outcome: 'in_flight' }
  | { readonly outcome: 'forwarded' }
  | { readonly outcome: 'not_connected' }
  | { readonly outcome: 'undeliverable' };

/**
 * The human agent's reply an Events API callback carries, if it carries one to
 * deliver. Synchronous on purpose: most events are Slack echoing a bot's own
 * posts, and those are answered without a promise, let alone I/O.
 */
export function agentReplyIn(callback: SlackEventCallback, logger: Pick<Logger, 'debug'>): AgentReply | undefined {
  const selection = selectAgentReply(callback);
  if (selection.forward) return selection.reply;
  // Slack echoes every message a bot posts, the bridge's own first: the commonest event by far, and
  // one that tells nothing. Even filtered out, a debug line costs Powertools two environment reads.
  if (!BOT_ECHOES.has(selection.reason)) logger.debug('slack event ignored', { eventId: callback.event_id, reason: selection.reason });
  return undefined;
}

/**
 * Delivers a human agent's reply in a live handoff thread to Botpress, exactly once.
 *
 * Throws a DownstreamError when the delivery failed and Slack should retry;
 * the claim is released first, so that the retry can deliver. On Slack's last
 * retry a failure is reported in the thread instead, and nothing is thrown.
 */
export async function relayAgentReply(reply: AgentReply, attempt: RelayAttempt, deps: RelayDependencies): Promise<RelayOutcome> {
  // The message, not the event: Slack's retries repeat the event_id, but it sometimes re-sends a message under a
  // new one, and channel + ts names a message uniquely in both cases. One key is one DynamoDB write, not two.
  const keys = [dedupeKey('slack-message', reply.channelId, reply.messageTs)];
  // Independent, so concurrent: the claim, the thread's handoff and the names cost one round trip, not three.
  const [claimed, lookup, userNames] = await Promise.allSettled([
    deps.ledger.claim(keys),
    deps.store.findByThread(reply.channelId, reply.threadTs),
    resolveNames(reply, deps),
  ]);
  if (claimed.status === 'rejected') throw claimed.reason;
  const claim = claimed.value;
  if (claim.status !== 'claimed') {
    deps.logger.info('slack event already handled', { eventId: reply.eventId, status: claim.status, retryNum: attempt.retryNum });
    return { outcome: claim.status };
  }

  try {
    if (lookup.status === 'rejected') throw lookup.reason;
    const handoff = lookup.value;

    if (handoff?.state !== 'open') {
      const slack = await deps.slack();
      await callSlack('chat.postEphemeral', () =>
        slack.chat.postEphemeral({ channel: reply.channelId, user: reply.userId, thread_ts: reply.threadTs, text: NOT_CONNECTED_NOTICE }),
      );
      await deps.ledger.settle(keys, claim.token, 'notified');
      deps.logger.info('agent reply in a thread without a live handoff', { ...logContext(reply), state: handoff?.state ?? 'none' });
      return { outcome: 'not_connected' };
    }

    const payload = normalizeAgentReply(reply, { conversationId: handoff.conversationId, userNames: userNames.status === 'fulfilled' ? userNames.value : undefined });
    try {
      await deps.sendToBotpress(payload);
    } catch (error) {
      if (attempt.retryNum < SLACK_FINAL_RETRY) throw error;
      await reportUndeliverable(reply, deps, error);
      await deps.ledger.settle(keys, claim.token, 'failed');
      return { outcome: 'undeliverable' };
    }
    // Never throws: once Botpress has the reply, nothing may make Slack retry it.
    await settleDelivered(reply, handoff, keys, claim.token, deps);
  } catch (error) {
    await deps.ledger.release(keys, claim.token).catch((releaseError: unknown) => {
      // The lease expires on its own; Slack's later retry can claim then.
      deps.logger.error('could not release delivery claim', { eventId: reply.eventId, error: releaseError as Error });
    });
    throw error;
  }
  deps.logger.info('agent reply forwarded', { ...logContext(reply), retryNum: attempt.retryNum });
  return { outcome: 'forwarded' };
}

/**
 * After a successful POST, failing to record it must not make Slack retry
 * (that would deliver twice): log and carry on, and refresh the mapping's TTL.
 */
async function settleDelivered(
  reply: AgentReply,
  handoff: Handoff,
  keys: string[],
  token: string,
  deps: RelayDependencies,
): Promise<void> {
  await settleLoggingFailures(deps.logger, 'bookkeeping after delivery failed', { eventId: reply.eventId }, [
    deps.ledger.settle(keys, token, 'delivered'),
    deps.store.touch(handoff),
  ]);
}

async function reportUndeliverable(reply: AgentReply, deps: RelayDependencies, cause: unknown): Promise<void> {
  deps.logger.error('agent reply could not be delivered after Slack’s last retry', { ...logContext(reply), error: cause as Error });
  try {
    const slack = await deps.slack();
    await callSlack('chat.postMessage', () =>
      slack.chat.postMessage({ channel: reply.channelId, thread_ts: reply.threadTs, text: UNDELIVERED_NOTICE }),
    );
  } catch (error) {
    // Nothing more can be done from here; the error log above and this one are the record.
    deps.logger.error('could not post the undelivered notice', { ...logContext(reply), error: error as Error });
  }
}

async function resolveNames(reply: AgentReply, deps: RelayDependencies): Promise<Map<string, string>> {
  try {
    const slack = await deps.slack();
    return await deps.users.displayNames(slack, [reply.userId, ...mentionedUserIds(reply.markup)]);
  } catch (error) {
    deps.logger.warn('could not resolve user names', { eventId: reply.eventId, error: error as Error });
    return new Map();
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
  };
}

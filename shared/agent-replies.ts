import type { Logger } from '@aws-lambda-powertools/logger';
import type { DeliveryQueue } from './delivery-queue';
import { settleLoggingFailures } from './logger';
import { selectAgentReply, type AgentReply, type IgnoreReason } from './normalize';
import type { SlackEventCallback } from './slack/events';
import type { ThreadStore } from './thread-store';

const BOT_ECHOES: ReadonlySet<IgnoreReason> = new Set(['from_a_bot', 'own_message']);

const NO_LONGER_CONNECTED = 'This conversation is no longer connected to a customer (the handoff was resolved, ended or has expired)';
export const NOT_CONNECTED_NOTICE = `${NO_LONGER_CONNECTED}, so your reply was not delivered.`;
/** What the agent is told of a change made where no customer is connected any more: their side stays as it was. */
export const NOT_CONNECTED_REVISION_NOTICE = {
  edited: `${NO_LONGER_CONNECTED}, so your edit was not delivered: if the customer had the message, they keep it as it was.`,
  deleted: `${NO_LONGER_CONNECTED}: if the customer had the message you deleted, they keep it.`,
} as const;

export interface AcceptDependencies {
  readonly store: Pick<ThreadStore, 'findByThread' | 'touch'>;
  readonly queue: DeliveryQueue;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

export type AcceptOutcome =
  /** On the queue, for the delivery function to take to Botpress. */
  | 'queued'
  /** The thread has no live handoff; the agent is told, privately. */
  | 'not_connected';

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
 * Takes an agent's reply in: finds the thread's handoff and puts the reply on
 * the delivery queue, in the conversation's group, so that Slack hears 200 in
 * milliseconds whatever Botpress is doing. Keyed by the message's channel:ts,
 * which is the same across Slack's retries and re-sends: queued once within
 * SQS's 5 minutes, delivered once (the delivery ledger) however often it comes.
 * Throws a DownstreamError when DynamoDB or SQS fail, so that Slack retries.
 */
export async function acceptAgentReply(reply: AgentReply, deps: AcceptDependencies): Promise<AcceptOutcome> {
  const handoff = await deps.store.findByThread(reply.channelId, reply.threadTs);
  const change = reply.revision ? [reply.revision.kind, reply.revision.at] : [];
  if (handoff?.state !== 'open') {
    await deps.queue.enqueue({
      kind: 'private-notice',
      key: ['not-connected', reply.channelId, reply.messageTs, ...change],
      channelId: reply.channelId,
      threadTs: reply.threadTs,
      userId: reply.userId,
      text: reply.revision ? NOT_CONNECTED_REVISION_NOTICE[reply.revision.kind] : NOT_CONNECTED_NOTICE,
    });
    deps.logger.info('agent reply in a thread without a live handoff', { ...logContext(reply), state: handoff?.state ?? 'none' });
    return 'not_connected';
  }
  // In the conversation's group, behind the reply it changes: the customer has that first.
  await deps.queue.enqueue({ kind: 'agent-reply', key: ['slack-message', reply.channelId, reply.messageTs, ...change], conversationId: handoff.conversationId, reply });
  // Activity keeps the mapping alive; a failure here must not make Slack retry what is queued.
  await settleLoggingFailures(deps.logger, 'could not refresh the handoff’s expiry', { eventId: reply.eventId }, [deps.store.touch(handoff)]);
  deps.logger.info('agent reply queued', { ...logContext(reply), conversationId: handoff.conversationId });
  return 'queued';
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

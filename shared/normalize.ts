import { BadRequestError } from './errors';
import { replyFieldProblems, type SlackEventCallback } from './slack/events';
import { slackMarkupToPlainText } from './slack/markup';

/** A human agent's reply in a Slack thread, before the thread mapping is known. */
export interface AgentReply {
  readonly eventId: string;
  readonly channelId: string;
  readonly threadTs: string;
  readonly messageTs: string;
  readonly userId: string;
  /** Still in Slack markup; normalizeAgentReply renders it. */
  readonly markup: string;
}

export type IgnoreReason =
  | 'not_a_message'
  | 'unsupported_subtype'
  | 'hidden'
  | 'from_a_bot'
  | 'own_message'
  | 'no_author'
  | 'not_in_a_thread'
  | 'thread_parent'
  | 'empty_text';

export type AgentReplySelection =
  | { readonly forward: true; readonly reply: AgentReply }
  | { readonly forward: false; readonly reason: IgnoreReason };

/**
 * Subtypes that are still a person writing in the thread. Everything else
 * (message_changed, message_deleted, channel_join, bot_message, …) is an echo or
 * a system notice and must never reach the customer.
 * `file_share` forwards its text part only, for now.
 */
const FORWARDED_SUBTYPES: ReadonlySet<string | undefined> = new Set([undefined, 'thread_broadcast', 'file_share']);

/**
 * Decides whether an Events API callback is a human agent's reply in a thread.
 * Pure: the bridge's own bot user is read from the callback's `authorizations`.
 * A would-be reply whose fields have the wrong types is a BadRequestError.
 */
export function selectAgentReply(callback: SlackEventCallback): AgentReplySelection {
  const event = callback.event;
  if (event.type !== 'message') return ignore('not_a_message');
  if (!FORWARDED_SUBTYPES.has(event.subtype ?? undefined)) return ignore('unsupported_subtype');
  if (event.hidden) return ignore('hidden');
  if (event.bot_id || event.app_id) return ignore('from_a_bot');
  // Everything above reads presence only; what follows relies on the fields' types.
  const problems = replyFieldProblems(callback);
  if (problems.length > 0) throw new BadRequestError(problems);
  if (!event.user || !event.channel || !event.ts) return ignore('no_author');
  const ownUserIds = (callback.authorizations ?? []).filter((auth) => auth.is_bot).map((auth) => auth.user_id);
  if (ownUserIds.includes(event.user)) return ignore('own_message');
  if (!event.thread_ts) return ignore('not_in_a_thread');
  if (event.thread_ts === event.ts) return ignore('thread_parent');
  if (!event.text?.trim()) return ignore('empty_text');

  return {
    forward: true,
    reply: {
      eventId: callback.event_id,
      channelId: event.channel,
      threadTs: event.thread_ts,
      messageTs: event.ts,
      userId: event.user,
      markup: event.text,
    },
  };
}

/** What the bridge POSTs to the Botpress webhook for each agent reply. */
export interface AgentMessagePayload {
  readonly type: 'agent_message';
  /** `<channel>:<ts>`: the same for every copy of this reply (botpress-client.ts). */
  readonly eventId: string;
  readonly text: string;
  readonly userId: string;
  readonly channelId: string;
  readonly threadTs: string;
  readonly conversationId: string;
  readonly messageTs: string;
  readonly agentName?: string;
}

export interface NormalizeContext {
  readonly conversationId: string;
  /** Display names already resolved by the caller (the author and any mentioned users). */
  readonly userNames?: ReadonlyMap<string, string>;
}

export function normalizeAgentReply(reply: AgentReply, context: NormalizeContext): AgentMessagePayload {
  const names = context.userNames;
  const agentName = names?.get(reply.userId);
  return {
    type: 'agent_message',
    eventId: `${reply.channelId}:${reply.messageTs}`,
    text: slackMarkupToPlainText(reply.markup, { userName: (id) => names?.get(id) }).trim(),
    userId: reply.userId,
    channelId: reply.channelId,
    threadTs: reply.threadTs,
    conversationId: context.conversationId,
    messageTs: reply.messageTs,
    ...(agentName ? { agentName } : {}),
  };
}

function ignore(reason: IgnoreReason): AgentReplySelection {
  return { forward: false, reason };
}

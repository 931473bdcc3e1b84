import type { AgentReply } from '../domain/ports';
import type { Log } from '../platform/logger';
import { BadRequestError } from '../platform/errors';
import { messageFieldProblems, replyFieldProblems, sharedFileIds, type SlackEventCallback, type SlackMessageFields } from './events';

/*
 * The one place that decides whether a Slack event is a human agent's reply
 * (or an edit or deletion of one) in a thread the bridge may own, and that
 * makes it the domain's AgentReply. Its text stays in Slack's markup: the
 * desk renders it for the customer when it is delivered (desk.ts, readReply).
 */

export type IgnoreReason =
  | 'not_a_message'
  | 'unsupported_subtype'
  | 'hidden'
  | 'from_a_bot'
  | 'own_message'
  | 'no_author'
  | 'not_in_a_thread'
  | 'thread_parent'
  | 'side_thread'
  | 'empty_text'
  | 'not_an_edit';

export type AgentReplySelection =
  | { readonly forward: true; readonly reply: AgentReply }
  | { readonly forward: false; readonly reason: IgnoreReason };

/**
 * Subtypes that are still a person writing in the thread (`/me` included).
 * Everything else (channel_join, bot_message, …) is an echo or a system
 * notice and must never reach the customer. Edits and deletions
 * (message_changed, message_deleted) carry the message they change, which
 * must itself be one of these. `file_share` forwards its text part only, for now.
 */
const FORWARDED_SUBTYPES: ReadonlySet<string | undefined> = new Set([undefined, 'thread_broadcast', 'file_share', 'me_message']);

/**
 * Decides whether an Events API callback is a human agent's reply in a thread,
 * or an agent's edit or deletion of one. Pure: the bridge's own bot user is
 * read from the callback's `authorizations`. A would-be reply whose fields
 * have the wrong types is a BadRequestError.
 */
export function selectAgentReply(callback: SlackEventCallback): AgentReplySelection {
  const event = callback.event;
  if (event.type !== 'message') return ignore('not_a_message');
  const subtype = event.subtype ?? undefined;
  if (subtype === 'message_changed' || subtype === 'message_deleted') return selectRevision(callback, subtype);
  if (!FORWARDED_SUBTYPES.has(subtype)) return ignore('unsupported_subtype');
  if (event.hidden) return ignore('hidden');
  if (event.bot_id || event.app_id) return ignore('from_a_bot');
  // Everything above reads presence only; what follows relies on the fields' types.
  throwOnProblems(replyFieldProblems(callback));
  const message = threadReplyIn(event, event.channel, ownUserIdsOf(callback));
  if (!message.ok) return ignore(message.reason);
  const files = sharedFileIds(event);
  if ('problem' in files) throw new BadRequestError([files.problem]);
  // A file sent alone is a reply too: it has no text, but something for the customer.
  if (!message.text.trim() && files.ids.length === 0) return ignore('empty_text');
  return {
    forward: true,
    reply: { eventId: callback.event_id, ...message.reply, markup: message.text, ...(files.ids.length > 0 ? { files: files.ids.map((id) => ({ id })) } : {}) },
  };
}

/**
 * An edit arrives as message_changed with the message as it now is (and as
 * it was); a deletion as message_deleted with the message as it was. Either
 * counts when that message is a human's reply in a thread. A message_changed
 * without `edited` is Slack's own doing (a link unfurled, metadata added), and
 * one that leaves the text as it was changes nothing the customer sees.
 */
function selectRevision(callback: SlackEventCallback, subtype: 'message_changed' | 'message_deleted'): AgentReplySelection {
  const event = callback.event;
  const changed = subtype === 'message_changed' ? event.message : event.previous_message;
  if (!isRecord(changed)) return ignore('no_author');
  if (!FORWARDED_SUBTYPES.has(changed.subtype ?? undefined)) return ignore('unsupported_subtype');
  if (changed.bot_id || changed.app_id) return ignore('from_a_bot');
  const field = subtype === 'message_changed' ? 'message' : 'previous_message';
  throwOnProblems([...replyFieldProblems(callback), ...messageFieldProblems(changed, `body.event.${field}`)]);
  const message = threadReplyIn(changed, event.channel, ownUserIdsOf(callback));
  if (!message.ok) return ignore(message.reason);
  // The text before the change: whether it was an internal note decides whether the change may reach the customer.
  const before = isRecord(event.previous_message) && typeof event.previous_message.text === 'string' ? event.previous_message.text : undefined;
  const previousMarkup = before === undefined ? {} : { previousMarkup: before };
  if (subtype === 'message_deleted') {
    return { forward: true, reply: { eventId: callback.event_id, ...message.reply, markup: '', revision: { kind: 'deleted', at: String(event.ts), ...previousMarkup } } };
  }
  const editedAt = isRecord(changed.edited) && typeof changed.edited.ts === 'string' ? changed.edited.ts : undefined;
  if (!editedAt || before === message.text) return ignore('not_an_edit');
  if (!message.text.trim()) return ignore('empty_text');
  return { forward: true, reply: { eventId: callback.event_id, ...message.reply, markup: message.text, revision: { kind: 'edited', at: editedAt, ...previousMarkup } } };
}

type ThreadReplyCheck =
  | { readonly ok: true; readonly text: string; readonly reply: Pick<AgentReply, 'channelId' | 'threadTs' | 'messageTs' | 'userId'> }
  | { readonly ok: false; readonly reason: IgnoreReason };

/** Whether a message (its fields' types checked) is a person's reply in a thread the bridge may own. */
function threadReplyIn(message: Partial<SlackMessageFields> & { readonly root?: unknown }, channel: string | null | undefined, ownUserIds: readonly (string | undefined)[]): ThreadReplyCheck {
  if (message.hidden) return { ok: false, reason: 'hidden' };
  if (!message.user || !channel || !message.ts) return { ok: false, reason: 'no_author' };
  if (ownUserIds.includes(message.user)) return { ok: false, reason: 'own_message' };
  if (!message.thread_ts) return { ok: false, reason: 'not_in_a_thread' };
  if (message.thread_ts === message.ts) return { ok: false, reason: 'thread_parent' };
  // Colleagues talking in a thread of their own in the channel: none of the bridge's business, not even a notice.
  const parent = threadParentOf(message);
  if (parent && !ownUserIds.includes(parent)) return { ok: false, reason: 'side_thread' };
  return { ok: true, text: message.text ?? '', reply: { channelId: channel, threadTs: message.thread_ts, messageTs: message.ts, userId: message.user } };
}

/**
 * Who posted the thread's parent: `parent_user_id`, or for a reply also sent
 * to the channel (thread_broadcast, which carries none) its `root` message's
 * author; a root posted by another app without a user is not the bridge's.
 */
function threadParentOf(message: Partial<SlackMessageFields> & { readonly root?: unknown }): string | undefined {
  if (message.parent_user_id) return message.parent_user_id;
  if (!isRecord(message.root)) return undefined;
  if (typeof message.root.user === 'string') return message.root.user;
  return typeof message.root.bot_id === 'string' ? `app:${message.root.bot_id}` : undefined;
}

const ownUserIdsOf = (callback: SlackEventCallback) => (callback.authorizations ?? []).filter((auth) => auth.is_bot).map((auth) => auth.user_id);

const isRecord = (value: unknown): value is Record<string, unknown> & Partial<SlackMessageFields> & { edited?: unknown } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function throwOnProblems(problems: string[]): void {
  if (problems.length > 0) throw new BadRequestError(problems);
}

const BOT_ECHOES: ReadonlySet<IgnoreReason> = new Set(['from_a_bot', 'own_message']);

/**
 * The human agent's reply an Events API callback carries, if it carries one to
 * deliver. Synchronous on purpose: most events are Slack echoing a bot's own
 * posts, and those are answered without a promise, let alone I/O.
 */
export function agentReplyIn(callback: SlackEventCallback, logger: Pick<Log, 'debug'>): AgentReply | undefined {
  const selection = selectAgentReply(callback);
  if (selection.forward) return selection.reply;
  // Slack echoes every message a bot posts, the bridge's own first: the commonest event by far, and one that tells nothing.
  if (!BOT_ECHOES.has(selection.reason)) logger.debug('slack event ignored', { eventId: callback.event_id, reason: selection.reason });
  return undefined;
}

function ignore(reason: IgnoreReason): AgentReplySelection {
  return { forward: false, reason };
}

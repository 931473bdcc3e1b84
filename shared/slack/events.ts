import { BadRequestError } from '../platform/errors';

/** The fields of a Slack message the bridge reads; Slack sends many more. Null reads as absent. */
export interface SlackMessageFields {
  readonly subtype?: string | null;
  readonly channel: string;
  readonly user?: string | null;
  readonly text?: string | null;
  readonly ts: string;
  readonly thread_ts?: string | null;
  readonly bot_id?: string | null;
  readonly app_id?: string | null;
  readonly hidden?: boolean | null;
  /** Of a reply in a thread: who posted the thread's parent (not sent with a thread_broadcast, which has `root`). */
  readonly parent_user_id?: string | null;
}

/** A `message` event; an edit (message_changed) or deletion (message_deleted) nests the message it changes. */
export interface SlackMessageEvent extends SlackMessageFields {
  readonly type: 'message';
  readonly message?: unknown;
  readonly previous_message?: unknown;
  /** Of a file_share: the files, each with its `id` (the rest, when there, is read again with files.info). */
  readonly files?: unknown;
  /** Of a thread_broadcast: the thread's parent message. */
  readonly root?: unknown;
}

/** The JSON type of each message field the bridge reads; see replyFieldProblems. */
const MESSAGE_FIELD_TYPES = {
  subtype: 'string',
  channel: 'string',
  user: 'string',
  text: 'string',
  ts: 'string',
  thread_ts: 'string',
  bot_id: 'string',
  app_id: 'string',
  hidden: 'boolean',
  parent_user_id: 'string',
} as const satisfies Record<keyof SlackMessageFields, 'string' | 'boolean'>;

export interface SlackEventCallback {
  readonly type: 'event_callback';
  readonly event_id: string;
  readonly api_app_id?: string;
  readonly team_id?: string;
  readonly event: { readonly type: string } & Partial<Omit<SlackMessageEvent, 'type'>>;
  /** The installation's own users; the entry with `is_bot` is the bridge's bot user. */
  readonly authorizations?: readonly { readonly user_id?: string; readonly is_bot?: boolean }[] | null;
}

export interface SlackUrlVerification {
  readonly type: 'url_verification';
  readonly challenge: string;
}

export type SlackEventsBody = SlackEventCallback | SlackUrlVerification | { readonly type: 'other'; readonly envelopeType: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses an Events API body (already signature-checked), naming what is wrong when it is malformed. */
export function parseSlackEventsBody(rawBody: string): SlackEventsBody {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new BadRequestError(['body is not valid JSON']);
  }
  if (!isObject(body) || typeof body.type !== 'string') throw new BadRequestError(['body.type must be a string']);

  if (body.type === 'url_verification') {
    if (typeof body.challenge !== 'string') throw new BadRequestError(['body.challenge must be a string']);
    return { type: 'url_verification', challenge: body.challenge };
  }
  if (body.type === 'event_callback') {
    const problems: string[] = [];
    if (typeof body.event_id !== 'string') problems.push('body.event_id must be a string');
    if (!isObject(body.event) || typeof body.event.type !== 'string') problems.push('body.event.type must be a string');
    if (problems.length > 0) throw new BadRequestError(problems);
    return body as unknown as SlackEventCallback;
  }
  // app_rate_limited and future envelope types: acknowledged, not acted on.
  return { type: 'other', envelopeType: body.type };
}

const MESSAGE_FIELDS = Object.entries(MESSAGE_FIELD_TYPES);

/**
 * What is wrong with the fields an agent reply is read from, if anything.
 * Not part of parsing: bot echoes, most events by far, are told apart on
 * presence alone and need none of it.
 */
export function replyFieldProblems(callback: SlackEventCallback): string[] {
  const problems = messageFieldProblems(callback.event, 'body.event');
  const { authorizations } = callback;
  if (authorizations != null && !(Array.isArray(authorizations) && authorizations.every(isObject))) {
    problems.push('body.authorizations must be an array of objects');
  }
  return problems;
}

/** What is wrong with a message object's fields (`path` names it in the problems). */
export function messageFieldProblems(message: object, path: string): string[] {
  const problems: string[] = [];
  for (const [field, type] of MESSAGE_FIELDS) {
    const value = (message as Record<string, unknown>)[field];
    if (value != null && typeof value !== type) problems.push(`${path}.${field} must be a ${type}`);
  }
  return problems;
}

/** The ids of the files a message shares, or the problem with its `files` field. */
export function sharedFileIds(event: { readonly files?: unknown }): { readonly ids: string[] } | { readonly problem: string } {
  if (event.files == null) return { ids: [] };
  if (!Array.isArray(event.files) || !event.files.every((file) => isObject(file) && typeof file.id === 'string')) {
    return { problem: 'body.event.files must be an array of objects with a string id' };
  }
  return { ids: event.files.map((file: { id: string }) => file.id) };
}

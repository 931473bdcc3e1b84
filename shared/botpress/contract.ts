import * as v from 'valibot';
import type { AgentMessageEvent, BotEvent } from '../domain/bot-events';
import { FILE_KINDS, FILE_LIMITS, type FileKind } from '../domain/files/policy';
import { BadRequestError } from '../platform/errors';

/*
 * Every body the bridge and Botpress exchange, with its limits, in one place:
 * the bridge's routes validate what comes in against it, the webhook sends
 * what goes out as it says, and botpress/integration imports it rather than
 * restating it. valibot: a few kilobytes once tree-shaken. Every schema words
 * its own message, so that a 400 reads plainly.
 */

/** What the bridge takes from Botpress, per field; the integration cuts what is longer (and marks it) rather than be refused. */
export const REQUEST_LIMITS = {
  id: 256,
  summary: 2_800,
  name: 200,
  transcriptLines: 100,
  transcriptLine: 4_000,
  /** As long as a Slack message may be: the desk splits what escaping makes longer. */
  message: 40_000,
  fileUrl: 2_000,
  fileName: 255,
  endReason: 200,
  filesPerMessage: FILE_LIMITS.perMessage,
} as const;

/**
 * Where each event the bridge sends Botpress carries its signature: `v0=` +
 * hex HMAC-SHA256 over `v0:{timestamp}:{body}` (shared/platform/hmac.ts, the
 * scheme Slack signs its requests with), verified by botpress/integration.
 */
export const BRIDGE_SIGNATURE_HEADERS = { timestamp: 'x-bridge-request-timestamp', signature: 'x-bridge-signature' } as const;

/** The field of a Botpress message of each kind that holds its URL (the SDK's default message schemas). */
export const URL_FIELD_OF_KIND = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' } as const satisfies Record<FileKind, string>;

/** Bridge → Botpress: the events, as the domain makes them (shared/domain/bot-events.ts). */
export type BridgeEvent = BotEvent;
export type BridgeFile = NonNullable<AgentMessageEvent['files']>[number];
const str = () => v.string('must be a string');
const id = v.pipe(str(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(REQUEST_LIMITS.id, `must be at most ${REQUEST_LIMITS.id} characters`));
const text = (max: number) => v.pipe(str(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(max, `must be at most ${max} characters`));
const OBJECT = 'must be a JSON object';

export const HandoffRequestSchema = v.object(
  {
    conversationId: id,
    userId: id,
    summary: text(REQUEST_LIMITS.summary),
    customer: v.optional(
      v.object(
        {
          name: v.optional(v.pipe(str(), v.trim(), v.maxLength(REQUEST_LIMITS.name, `must be at most ${REQUEST_LIMITS.name} characters`))),
          // Not checked here: an address that is not one must not fail the handoff (shared/domain/handoffs.ts).
          email: v.optional(v.pipe(str(), v.trim())),
        },
        OBJECT,
      ),
    ),
    // The queue the handoff is for (billing, tech): SLACK_QUEUE_CHANNELS says its channel. Empty: none asked for.
    queue: v.optional(v.pipe(str(), v.trim(), v.regex(/^([a-z0-9][a-z0-9_-]{0,39})?$/i, 'must be a short name (letters, digits, - and _, at most 40)'))),
    transcript: v.optional(
      v.pipe(
        v.array(v.object({ role: v.picklist(['user', 'bot'], 'must be "user" or "bot"'), text: text(REQUEST_LIMITS.transcriptLine) }, OBJECT), 'must be an array'),
        v.maxLength(REQUEST_LIMITS.transcriptLines, `must have at most ${REQUEST_LIMITS.transcriptLines} entries`),
      ),
    ),
  },
  OBJECT,
);

/** A customer's image, audio, video or file, as Botpress keeps it: its URL, and the kind of message that carried it. */
const CustomerFileSchema = v.object(
  {
    url: v.pipe(str(), v.trim(), v.url('must be a URL'), v.regex(/^https?:/i, 'must be an http(s) URL'), v.maxLength(REQUEST_LIMITS.fileUrl, `must be at most ${REQUEST_LIMITS.fileUrl} characters`)),
    name: v.optional(v.pipe(str(), v.trim(), v.maxLength(REQUEST_LIMITS.fileName, `must be at most ${REQUEST_LIMITS.fileName} characters`))),
    kind: v.optional(v.picklist(FILE_KINDS, `must be one of ${FILE_KINDS.join(', ')}`), 'file'),
  },
  OBJECT,
);

// A file may come alone.
export const CustomerMessageRequestSchema = v.pipe(
  v.object(
    {
      conversationId: id,
      text: v.optional(v.pipe(str(), v.trim(), v.maxLength(REQUEST_LIMITS.message, `must be at most ${REQUEST_LIMITS.message} characters`)), ''),
      messageId: v.optional(id),
      files: v.optional(v.pipe(v.array(CustomerFileSchema, 'must be an array'), v.maxLength(REQUEST_LIMITS.filesPerMessage, `must have at most ${REQUEST_LIMITS.filesPerMessage} entries`))),
    },
    OBJECT,
  ),
  v.forward(
    v.check((message) => message.text !== '' || (message.files?.length ?? 0) > 0, 'is required (or files)'),
    ['text'],
  ),
);

export const EndRequestSchema = v.object(
  { conversationId: id, reason: v.optional(v.pipe(str(), v.trim(), v.maxLength(REQUEST_LIMITS.endReason, `must be at most ${REQUEST_LIMITS.endReason} characters`)), 'user_ended') },
  OBJECT,
);

/** Botpress → bridge: each body as validated. The handlers hand them to the domain, whose requests they must be (domain/requests.ts): tsc says so when they part. */
export type HandoffRequest = v.InferOutput<typeof HandoffRequestSchema>;
export type CustomerMessageRequest = v.InferOutput<typeof CustomerMessageRequestSchema>;
export type EndRequest = v.InferOutput<typeof EndRequestSchema>;

/** The same bodies as Botpress (botpress/integration) writes them, before defaults and trimming. */
export type HandoffBody = v.InferInput<typeof HandoffRequestSchema>;
export type MessageBody = v.InferInput<typeof CustomerMessageRequestSchema>;
export type EndBody = v.InferInput<typeof EndRequestSchema>;

/** What the bridge answers each route with (README, "The HTTP contract"). */
export type HandoffAnswer = { readonly status: 'created' | 'already_open'; readonly channelId: string; readonly threadTs: string } | { readonly status: 'queued' };
export interface MessageAnswer {
  readonly handoffActive: boolean;
}
export interface EndAnswer {
  readonly status: 'closed';
}

/*
 * Bridge → Botpress, validated where it arrives (botpress/integration): each
 * event as the domain makes it. The schema's output is a BridgeEvent, or tsc says so.
 */
type BridgeEventSchemas = { [K in BridgeEvent['type']]: v.GenericSchema<unknown, Extract<BridgeEvent, { type: K }>> };
// Built on first use: only the integration reads bridge events, and the bridge's functions should not build these at every cold start.
let bridgeEventSchemas: BridgeEventSchemas | undefined;
const bridgeEventSchemasOnce = (): BridgeEventSchemas => (bridgeEventSchemas ??= bridgeEventSchemasOf());

function bridgeEventSchemasOf(): BridgeEventSchemas {
  const optionalText = v.optional(str());
  const BridgeFileSchema = v.object({ name: str(), mimetype: str(), size: v.number('must be a number'), kind: v.picklist(FILE_KINDS, `must be one of ${FILE_KINDS.join(', ')}`), url: str() }, OBJECT);
  const inThread = { eventId: str(), conversationId: str(), userId: str(), channelId: str(), threadTs: str() };
  return {
    agent_message: v.object(
      {
        type: v.literal('agent_message'),
        ...inThread,
        text: str(),
        messageTs: str(),
        agentName: optionalText,
        agentPictureUrl: optionalText,
        edited: v.optional(v.literal(true)),
        earlier: v.optional(v.literal(true)),
        files: v.optional(v.array(BridgeFileSchema, 'must be an array')),
      },
      OBJECT,
    ),
    agent_assigned: v.object({ type: v.literal('agent_assigned'), ...inThread, agentName: optionalText, agentPictureUrl: optionalText }, OBJECT),
    handoff_resolved: v.object({ type: v.literal('handoff_resolved'), ...inThread }, OBJECT),
    customer_message_failed: v.object(
      {
        type: v.literal('customer_message_failed'),
        eventId: str(),
        conversationId: str(),
        messageId: optionalText,
        fileName: optionalText,
        reason: v.optional(v.picklist(['file_too_large', 'file_unreachable', 'file_not_accepted'], 'must be file_too_large, file_unreachable or file_not_accepted')),
        maxFileBytes: v.optional(v.number('must be a number')),
      },
      OBJECT,
    ),
    handoff_failed: v.object({ type: v.literal('handoff_failed'), eventId: str(), conversationId: str() }, OBJECT),
  };
}

export type BridgeEventCheck =
  | { readonly kind: 'event'; readonly event: BridgeEvent }
  /** A type this side does not know (a newer bridge): acknowledged, not acted on. */
  | { readonly kind: 'unknown'; readonly type: string }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

/** Reads an event the bridge sent, naming every problem when it is not one. */
export function checkBridgeEvent(rawBody: string): BridgeEventCheck {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { kind: 'invalid', problems: ['body is not valid JSON'] };
  }
  const type = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { kind: 'invalid', problems: ['type: must be a string'] };
  const schemas = bridgeEventSchemasOnce();
  if (!Object.hasOwn(schemas, type)) return { kind: 'unknown', type };
  const result = v.safeParse(schemas[type as BridgeEvent['type']], body);
  return result.success ? { kind: 'event', event: result.output } : { kind: 'invalid', problems: problemsOf(result.issues) };
}

/** Parses and validates a JSON object body; a BadRequestError lists every offending field by its path. */
export function parseJsonBody<TSchema extends v.GenericSchema>(rawBody: string, schema: TSchema): v.InferOutput<TSchema> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new BadRequestError(['body is not valid JSON']);
  }
  // valibot's object() lets an array through; every body here is an object.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError([`body: ${OBJECT}`]);
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  throw new BadRequestError(problemsOf(result.issues));
}

/** Each issue as `path: what is wrong`. */
function problemsOf(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue) ?? 'body';
    // An absent field is the one case the schemas' own messages cannot word.
    return `${path}: ${issue.kind === 'schema' && issue.received === 'undefined' ? 'is required' : issue.message}`;
  });
}

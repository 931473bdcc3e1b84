import * as v from 'valibot';
import type { AgentMessageEvent, BotEvent } from '../domain/bot-events';
import { FILE_KINDS, FILE_LIMITS } from '../domain/files/policy';
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
  throw new BadRequestError(
    result.issues.map((issue) => {
      const path = v.getDotPath(issue) ?? 'body';
      // An absent field is the one case the schemas' own messages cannot word.
      return `${path}: ${issue.kind === 'schema' && issue.received === 'undefined' ? 'is required' : issue.message}`;
    }),
  );
}

import * as v from 'valibot';
import { BadRequestError } from './errors';
import { FILE_KINDS, FILE_LIMITS } from './files/policy';

/*
 * The bodies Botpress sends to the bridge. valibot: a few kilobytes once
 * tree-shaken, where larger schema libraries would weigh on cold starts.
 * Every schema words its own message, so that a 400 reads plainly.
 */
const str = () => v.string('must be a string');
const id = v.pipe(str(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(256, 'must be at most 256 characters'));
const text = (max: number) => v.pipe(str(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(max, `must be at most ${max} characters`));
const OBJECT = 'must be a JSON object';

export const HandoffRequestSchema = v.object(
  {
    conversationId: id,
    userId: id,
    summary: text(2_800),
    customer: v.optional(
      v.object(
        {
          name: v.optional(v.pipe(str(), v.trim(), v.maxLength(200, 'must be at most 200 characters'))),
          // Not checked here: an address that is not one must not fail the handoff (shared/handoffs.ts).
          email: v.optional(v.pipe(str(), v.trim())),
        },
        OBJECT,
      ),
    ),
    transcript: v.optional(
      v.pipe(
        v.array(v.object({ role: v.picklist(['user', 'bot'], 'must be "user" or "bot"'), text: text(4_000) }, OBJECT), 'must be an array'),
        v.maxLength(100, 'must have at most 100 entries'),
      ),
    ),
  },
  OBJECT,
);

/** A customer's image, audio, video or file, as Botpress keeps it: its URL, and the kind of message that carried it. */
const CustomerFileSchema = v.object(
  {
    url: v.pipe(str(), v.trim(), v.url('must be a URL'), v.regex(/^https?:/i, 'must be an http(s) URL'), v.maxLength(2_000, 'must be at most 2000 characters')),
    name: v.optional(v.pipe(str(), v.trim(), v.maxLength(255, 'must be at most 255 characters'))),
    kind: v.optional(v.picklist(FILE_KINDS, `must be one of ${FILE_KINDS.join(', ')}`), 'file'),
  },
  OBJECT,
);

// As long as a Slack message may be: shared/slack/limits.ts splits what escaping makes longer. A file may come alone.
export const CustomerMessageRequestSchema = v.pipe(
  v.object(
    {
      conversationId: id,
      text: v.optional(v.pipe(str(), v.trim(), v.maxLength(40_000, 'must be at most 40000 characters')), ''),
      messageId: v.optional(id),
      files: v.optional(v.pipe(v.array(CustomerFileSchema, 'must be an array'), v.maxLength(FILE_LIMITS.perMessage, `must have at most ${FILE_LIMITS.perMessage} entries`))),
    },
    OBJECT,
  ),
  v.forward(
    v.check((message) => message.text !== '' || (message.files?.length ?? 0) > 0, 'is required (or files)'),
    ['text'],
  ),
);

export const EndRequestSchema = v.object(
  { conversationId: id, reason: v.optional(v.pipe(str(), v.trim(), v.maxLength(200, 'must be at most 200 characters')), 'user_ended') },
  OBJECT,
);

export type HandoffRequest = v.InferOutput<typeof HandoffRequestSchema>;
export type CustomerMessageRequest = v.InferOutput<typeof CustomerMessageRequestSchema>;
export type EndRequest = v.InferOutput<typeof EndRequestSchema>;

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

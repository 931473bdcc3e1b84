import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { BridgeError } from '../../platform/errors';
import { FILE_KINDS, MISSING_FILE_REASONS } from '../files/policy';

/*
 * The work the delivery function does after the request that asked for it has
 * been answered. Each job is one message on the FIFO queue:
 * - to the bot (an agent's reply, Claim or Resolve, a customer's lost message),
 *   in the message group `to-bot/<conversation>`;
 * - to the desk (a queued card, the transcript, a customer's message, a card
 *   update, a note, a reminder, an agent's private notice), in `to-desk/<conversation>`.
 * One group per conversation and direction: a conversation's replies reach
 * the customer in the order the agent wrote them, and its messages the
 * thread in the order the customer wrote them, while a failing conversation
 * (or the bot down, or the desk limiting the channel) holds up nothing else.
 */

const str = v.string();
const AgentReplySchema = v.object({
  eventId: str,
  channelId: str,
  threadTs: str,
  messageTs: str,
  userId: str,
  markup: str,
  revision: v.optional(v.object({ kind: v.picklist(['edited', 'deleted']), at: str, previousMarkup: v.optional(str) })),
  files: v.optional(v.pipe(v.array(v.object({ id: str })), v.readonly())),
  resent: v.optional(v.literal(true)),
});
const CustomerFileSchema = v.object({ url: str, name: v.optional(str), kind: v.picklist(FILE_KINDS) });
/** The card's part of a handoff request (its transcript travels in the thread-intro job). */
const CardRequestSchema = v.object({
  conversationId: str,
  userId: str,
  summary: str,
  customer: v.optional(v.object({ name: v.optional(str), email: v.optional(str) })),
  // Its channel: without it a queued card opened in the support channel whatever queue was asked for.
  queue: v.optional(str),
});
/** The notices that travel on the queue (notices.ts); the others are made where they are posted. */
const QueuedNoticeSchema = v.variant('kind', [
  v.object({ kind: v.literal('resolved'), agentUserId: str }),
  v.object({ kind: v.literal('ended'), reason: str }),
  v.object({ kind: v.literal('not-connected'), change: v.optional(v.picklist(['edited', 'deleted'])) }),
  v.object({ kind: v.literal('note-kept') }),
  v.object({ kind: v.literal('note-edit-kept') }),
  v.object({ kind: v.literal('reply-made-note') }),
]);
// The presses the bot hears of; `claimedAt` (epoch ms) tells one assignment of the handoff from the next.
const AgentActionSchema = v.object({
  kind: v.picklist(['claim', 'take-over', 'resolve']),
  conversationId: str,
  agentUserId: str,
  channelId: str,
  threadTs: str,
  claimedAt: v.optional(v.number()),
});
const TranscriptSchema = v.array(v.object({ role: v.picklist(['user', 'bot']), text: str }));

const JobSchema = v.variant('kind', [
  // `firstReply`: the customer had no reply yet when it was queued, so its delivery may be the first (a service level).
  v.object({ kind: v.literal('agent-reply'), key: v.array(str), conversationId: str, reply: AgentReplySchema, firstReply: v.optional(v.literal(true)) }),
  v.object({ kind: v.literal('agent-action'), key: v.array(str), action: AgentActionSchema }),
  // Without a file: the whole message was lost. With one: that file did not reach the thread, and why.
  v.object({
    kind: v.literal('customer-message-failed'),
    key: v.array(str),
    conversationId: str,
    messageId: v.optional(str),
    file: v.optional(v.object({ name: str, reason: v.picklist(MISSING_FILE_REASONS) })),
  }),
  v.object({ kind: v.literal('handoff-failed'), key: v.array(str), conversationId: str }),
  v.object({ kind: v.literal('open-thread'), key: v.array(str), conversationId: str, reservation: str, request: CardRequestSchema }),
  // The thread's first posts: the summary the card had to shorten, whole, then the transcript's newest lines.
  // Without a thread: for whichever thread the conversation's queued card opens.
  v.object({
    kind: v.literal('thread-intro'),
    key: v.array(str),
    conversationId: str,
    channelId: v.optional(str),
    threadTs: v.optional(str),
    summary: v.optional(str),
    transcript: TranscriptSchema,
    omittedLines: v.optional(v.number()),
  }),
  v.object({ kind: v.literal('customer-message'), key: v.array(str), conversationId: str, text: str, messageId: v.optional(str), files: v.optional(v.array(CustomerFileSchema)) }),
  v.object({ kind: v.literal('card'), key: v.array(str), conversationId: str }),
  v.object({ kind: v.literal('note'), key: v.array(str), conversationId: str, channelId: str, threadTs: str, notice: QueuedNoticeSchema }),
  v.object({ kind: v.literal('private-notice'), key: v.array(str), channelId: str, threadTs: str, userId: str, notice: QueuedNoticeSchema }),
  // The open handoffs, shown to the agent who opened the app's home (the queue view).
  v.object({ kind: v.literal('home-view'), key: v.array(str), userId: str }),
  // A handoff that waits for an agent (since `since`, epoch ms): the `n`th reminder in its thread, if it still waits.
  v.object({ kind: v.literal('reminder'), key: v.array(str), conversationId: str, since: v.number(), n: v.number() }),
  // An agent's message that stayed on the desk (an internal note): marked so for everyone, and its writer told what needs telling.
  v.object({
    kind: v.literal('kept-internal'),
    key: v.array(str),
    channelId: str,
    threadTs: str,
    messageTs: str,
    userId: str,
    mark: v.boolean(),
    notice: v.optional(v.picklist(['note-edit-kept', 'reply-made-note'])),
  }),
]);

export type DeliveryJob = v.InferOutput<typeof JobSchema>;
export type JobKind = DeliveryJob['kind'];
export type JobOf<K extends JobKind> = Extract<DeliveryJob, { kind: K }>;

const TO_BOT: ReadonlySet<JobKind> = new Set(['agent-reply', 'agent-action', 'customer-message-failed', 'handoff-failed']);

/** Jobs whose repeat is harmless (a card is rendered from the handoff as it is then), so they skip the delivery ledger. */
const IDEMPOTENT: ReadonlySet<JobKind> = new Set(['card', 'open-thread']);

export const goesToBot = (job: DeliveryJob): boolean => TO_BOT.has(job.kind);
export const needsLedger = (job: DeliveryJob): boolean => !IDEMPOTENT.has(job.kind);

/** The conversation a job belongs to, when it has one. */
export function conversationOf(job: DeliveryJob): string | undefined {
  return job.kind === 'agent-action' ? job.action.conversationId : 'conversationId' in job ? job.conversationId : undefined;
}

/** A key for a job that has no natural one (each is a separate piece of work). */
export const uniqueKey = (kind: JobKind): string[] => [kind, randomUUID()];

/** A card update: rendered from the handoff as it is when the job runs, so each state change queues one. */
export const cardJob = (conversationId: string): JobOf<'card'> => ({ kind: 'card', key: uniqueKey('card'), conversationId });

/** A note for everyone in a handoff's thread (resolved, ended), keyed by its kind and thread: queued once however often asked. */
export const noteJob = (handoff: { readonly conversationId: string; readonly channelId: string; readonly threadTs: string }, notice: JobOf<'note'>['notice']): JobOf<'note'> => ({
  kind: 'note',
  key: [`${notice.kind}-note`, handoff.conversationId, handoff.threadTs],
  conversationId: handoff.conversationId,
  channelId: handoff.channelId,
  threadTs: handoff.threadTs,
  notice,
});

/** A queue message that is not a delivery job (nothing the bridge wrote): given up at once. */
export class MalformedJobError extends BridgeError {
  override readonly name = 'MalformedJobError';
}

/** A job that can never be done (its handoff never opened): given up at once, and whoever is waiting is told. */
export class Undeliverable extends BridgeError {
  override readonly name = 'Undeliverable';
}

/**
 * A job queued while its handoff was opening (the card being posted, its
 * thread not stored yet): tried again with the usual backoff, never dropped
 * for the order in which the bridge itself wrote things.
 */
export class HandoffStillOpening extends BridgeError {
  override readonly name = 'HandoffStillOpening';
}

/**
 * The key of an agent's reply, or of a change to one: the message's channel
 * and ts, the same across the desk's retries and re-sends. (Its first part
 * keeps the name it always had, so that records already in the ledger match.)
 */
export const agentReplyKey = (reply: { readonly channelId: string; readonly messageTs: string; readonly revision?: { readonly kind: string; readonly at: string } | undefined }): string[] => [
  'slack-message',
  reply.channelId,
  reply.messageTs,
  ...(reply.revision ? [reply.revision.kind, reply.revision.at] : []),
];

export function encodeJob(job: DeliveryJob): string {
  return JSON.stringify(job);
}

/** The job a queue message carries; a MalformedJobError when it is not one (nothing the bridge wrote). */
export function decodeJob(body: string): DeliveryJob {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedJobError('not JSON');
  }
  const result = v.safeParse(JobSchema, parsed);
  if (!result.success) throw new MalformedJobError(result.issues.map((issue) => `${v.getDotPath(issue) ?? 'body'}: ${issue.message}`).join('; '));
  return result.output;
}

import type { BotEvent } from './bot-events';
import type { Notice } from './notices';
import type { AgentActionKind } from './agent-actions';

export type { AgentActionKind } from './agent-actions';
import type { DeliveryJob } from './delivery/jobs';
import type { DeskFileRule, FileKind, FileRefusal } from './files/policy';

export { isRefusal, type FileRefusal } from './files/policy';

export type { Log } from '../platform/logger';

/*
 * What the domain asks of the world, in its own words. Adapters implement
 * these: shared/slack (SupportDesk), shared/botpress (BotChannel) and
 * shared/aws (the stores, the queue, the files). A failure comes back as the
 * platform's error family: DownstreamError (try again later) or
 * PermanentDownstreamError (refused for good, with the fix).
 */

/** Where a handoff lives on the support desk: a channel and the thread its card opened. Opaque to the domain. */
export interface ThreadRef {
  readonly channelId: string;
  readonly threadTs: string;
}

/** One message on the desk: the channel it is in and its id. */
export interface MessageRef {
  readonly channelId: string;
  readonly messageTs: string;
}

/** What the bridge may mark a message with, in its own words; the desk picks how it shows. */
export type Reaction = 'kept-internal';

/** One handoff of a bot conversation to the support desk. */
export interface Handoff extends ThreadRef, HandoffDetails {
  readonly conversationId: string;
  readonly state: 'open' | 'closed';
  /** The desk's id of the agent who has it (claimed, or took it over), and since when (epoch ms). */
  readonly claimedBy?: string;
  readonly claimedAt?: number;
  /** Since when (epoch ms) it has waited for an agent: its opening, or its last release; absent while an agent has it. */
  readonly waitingSince?: number;
  /** The service's milestones (epoch ms): its first assignment, its first reply the customer got, its close. */
  readonly firstClaimedAt?: number;
  readonly firstReplyAt?: number;
  readonly closedAt?: number;
  readonly closedBy?: string;
  readonly closedReason?: string;
  readonly openedAt: number;
  /** Epoch seconds; the store forgets the handoff some time after it. */
  readonly expiresAt: number;
}

export interface HandoffDetails {
  /** The bot's user the conversation belongs to. */
  readonly botpressUserId: string;
  readonly customerName?: string | undefined;
  /** As given; when it is no mail address, `customerEmailInvalid` says so (the card shows it as such). */
  readonly customerEmail?: string | undefined;
  readonly customerEmailInvalid?: boolean | undefined;
  /** The bot's summary, kept so that the card can be shown again when its state changes. */
  readonly summary: string;
  /** The queue the bot asked for; `queueUnrouted` when no channel is set for it (the handoff went to the support channel). */
  readonly queue?: string | undefined;
  readonly queueUnrouted?: boolean | undefined;
}

/**
 * A handoff whose card is not posted yet: a request is posting it right now,
 * or (`queued`) the desk could not take it and the delivery function will.
 */
export interface OpeningHandoff {
  readonly state: 'opening';
  readonly conversationId: string;
  readonly queued: boolean;
}

export type Reservation =
  | { readonly reserved: true; readonly token: string }
  | { readonly reserved: false; readonly current: Handoff | OpeningHandoff };

/** What a card shows: a handoff, or the details of one about to be opened. */
export type CardView = Pick<Handoff, 'conversationId' | 'summary' | 'customerName' | 'customerEmail' | 'customerEmailInvalid' | 'claimedBy' | 'closedBy' | 'closedReason' | 'state' | 'waitingSince' | 'queue' | 'queueUnrouted'>;

export interface TranscriptLine {
  readonly role: 'user' | 'bot';
  readonly text: string;
}

/** The thread's first posts: the summary when the card could not show all of it, and the transcript's newest lines that show. */
export interface ThreadIntro {
  readonly summary?: string | undefined;
  readonly transcript: readonly TranscriptLine[];
  /** Lines left out before the ones carried. */
  readonly omittedLines?: number | undefined;
}

/** A post in a handoff's thread; the desk renders it in its own markup. */
export type ThreadPost =
  | { readonly kind: 'customer-text'; readonly customerName?: string | undefined; readonly text: string }
  | { readonly kind: 'intro'; readonly intro: ThreadIntro }
  | { readonly kind: 'notice'; readonly notice: Notice };

/** A post that may take several messages on the desk: it goes on from `partsDone`, counting each part as it goes out. */
export interface PartProgress {
  partsDone: number;
  /** Attempts that could not fetch a file: the next part's (a customer's message) or the reply's (an agent's). */
  fileTries?: number | undefined;
  /** Names this delivery's posts (each part by its index), so that the desk can find them again. */
  readonly postId?: string | undefined;
  /**
   * Set when an earlier attempt may have posted without hearing back (a
   * timeout, a crash): the desk looks for this delivery's posts made since
   * then (epoch ms) before posting again, and clears it once it has looked.
   */
  lookSince?: number | undefined;
}

/** Names a card so that the desk can find it again; `lookSince` as in PartProgress. */
export interface CardPlacement {
  readonly postId: string;
  readonly lookSince?: number | undefined;
}

/** An agent's reply as the desk's adapter took it in: who wrote where, and its text still in the desk's markup. */
export interface AgentReply extends ThreadRef {
  readonly eventId: string;
  /** The message's own id; of an edit or a deletion, the id of the message changed. */
  readonly messageTs: string;
  readonly userId: string;
  /** In the desk's markup; SupportDesk.readReply renders it for the customer. Of a deletion: empty. */
  readonly markup: string;
  /**
   * A change to a reply already written: an edit (`at` is the edit's id) or a
   * deletion (the event's); `previousMarkup`, the text before, when the desk says.
   */
  readonly revision?: { readonly kind: 'edited' | 'deleted'; readonly at: string; readonly previousMarkup?: string | undefined } | undefined;
  /** The files shared with it, by the desk's id. */
  readonly files?: readonly { readonly id: string }[] | undefined;
  /** The desk delivered it again (a retry after no answer in time): replies written after it may have gone first. */
  readonly resent?: true | undefined;
}

/** An agent pressing a handoff card's button: Claim, Release (gives it back), Take over (from whoever has it), Resolve. */
export interface AgentAction extends ThreadRef {
  readonly kind: AgentActionKind;
  readonly conversationId: string;
  readonly agentUserId: string;
}

export interface Person {
  readonly name?: string | undefined;
  readonly pictureUrl?: string | undefined;
}

/** An agent's file as the desk describes it, before the bridge decides whether the customer may have it. */
export interface DeskFile {
  readonly id: string;
  readonly name: string;
  readonly mimetype: string;
  readonly size: number | undefined;
  /** A link to another service rather than a file the desk keeps. */
  readonly external: boolean;
  /** Where the desk keeps it: its adapter's own locator, opaque to the domain. */
  readonly source?: string | undefined;
}

/** A customer's file on its way into a thread. */
export interface UploadedFile {
  readonly name: string;
  readonly kind: FileKind;
  readonly body: Buffer;
  readonly contentType: string;
  readonly customerName?: string | undefined;
}

/** One open handoff as the queue view lists it. */
export type QueueEntry = Pick<Handoff, 'conversationId' | 'channelId' | 'threadTs' | 'customerName' | 'openedAt' | 'waitingSince' | 'claimedBy'>;

/** The open handoffs, oldest first; `more` when there are others past these. */
export interface OpenQueue {
  readonly handoffs: readonly QueueEntry[];
  readonly more: boolean;
}

/** The chat side: where agents work. The only port that knows the support desk's API, markup and limits is its adapter. */
export interface SupportDesk {
  /** Posts a handoff's card in a channel, or finds it posted already (see CardPlacement); its thread is where the handoff lives. */
  postCard(channelId: string, card: CardView, placement: CardPlacement): Promise<ThreadRef>;
  /** Shows the card as the handoff now is. */
  updateCard(thread: ThreadRef, card: CardView): Promise<void>;
  /** Takes down a card whose handoff never opened. */
  removeCard(thread: ThreadRef): Promise<void>;
  /** What of the summary and transcript the thread needs, within what the desk can show; undefined when nothing. */
  introFor(summary: string, transcript: readonly TranscriptLine[]): ThreadIntro | undefined;
  /** How many messages the desk needs for a post (a long text takes several). */
  partsIn(post: ThreadPost): number;
  /** Posts in the thread, in as many messages as the desk needs, from `progress.partsDone` on. Returns the last message's id. */
  postInThread(thread: ThreadRef, post: ThreadPost, progress?: PartProgress): Promise<string | undefined>;
  /** Replaces a notice posted earlier. */
  updateNotice(thread: ThreadRef, noticeId: string, notice: Notice): Promise<void>;
  /** Shows one agent the open handoffs (Slack: the app's Home tab), replacing what they saw before. */
  showQueue(userId: string, queue: OpenQueue): Promise<void>;
  /** Marks a message in a thread with a reaction everyone there sees (a reaction already there is no failure). */
  react(message: MessageRef, reaction: Reaction): Promise<void>;
  /** Tells one agent, privately, in the thread. */
  tellPrivately(thread: ThreadRef, userId: string, notice: Notice): Promise<void>;
  /** Uploads a customer's file into the thread; or says which of the desk's rules keeps it out. */
  uploadFile(thread: ThreadRef, file: UploadedFile): Promise<{ readonly refusedBy: DeskFileRule } | undefined>;
  /** Whether anyone wrote in the reply's thread after it: asked of a reply the desk delivered again, which may come after those. */
  writtenAfter(reply: AgentReply): Promise<boolean>;
  /** An agent's reply as plain text for the customer, with the agent's name and picture when the desk has them in time. */
  readReply(reply: AgentReply): Promise<{ readonly text: string; readonly agent: Person }>;
  /** A person on the desk, when the desk answers in time. */
  person(userId: string): Promise<Person>;
  /** What the desk knows of a shared file; a FileRefusal when it will not let the bridge read it. */
  describeFile(fileId: string): Promise<DeskFile | FileRefusal>;
  /** The file's bytes, at most maxBytes (FileTooLarge past that); a FileRefusal when the desk will not give them. */
  readFile(file: DeskFile, maxBytes: number): Promise<Buffer | FileRefusal>;
}

/** The bot side: hands an event to the bot. */
export interface BotChannel {
  send(event: BotEvent): Promise<void>;
}

export interface HandoffStore {
  /** The conversation's current handoff (opening, open or closed); undefined when none, or expired. */
  findByConversation(conversationId: string): Promise<Handoff | OpeningHandoff | undefined>;
  /** The conversation's handoff if it has a thread (open or closed). */
  findThreadOf(conversationId: string): Promise<Handoff | undefined>;
  /** The handoff a thread belongs to; undefined when unknown, expired, or superseded by a newer thread. */
  findByThread(channelId: string, threadTs: string): Promise<Handoff | undefined>;
  /** The right to open a conversation's handoff: exactly one of concurrent callers gets it. */
  reserve(conversationId: string, details: HandoffDetails, leaseMs: number): Promise<Reservation>;
  /** Keeps a reservation for the delivery function, which will post the card when the desk can take it. */
  markQueued(conversationId: string, token: string, leaseMs: number): Promise<boolean>;
  /** The reservation token of a handoff still opening. */
  reservationOf(conversationId: string): Promise<string | undefined>;
  /** Completes a reservation once the thread exists. */
  activate(conversationId: string, token: string, thread: ThreadRef): Promise<Handoff>;
  /** Gives a reservation up; false when it was no longer this token's. */
  abandon(conversationId: string, token: string): Promise<boolean>;
  /** Keeps an open handoff alive after activity. */
  touch(handoff: Pick<Handoff, 'conversationId' | 'channelId' | 'threadTs' | 'expiresAt'>): Promise<void>;
  /** Each returns the changed handoff, or undefined when the condition did not hold (someone else won). */
  assignAgent(conversationId: string, threadTs: string, agentUserId: string): Promise<Handoff | undefined>;
  /** From the agent who has it to another: only while `from` has it. */
  reassignAgent(conversationId: string, threadTs: string, from: string, to: string): Promise<Handoff | undefined>;
  unassignAgent(conversationId: string, threadTs: string, agentUserId: string): Promise<Handoff | undefined>;
  close(conversationId: string, threadTs: string, closure: { by: string; reason: string }): Promise<Handoff | undefined>;
  /** The open handoffs, oldest first, at most `limit`: from an index of open ones, never a scan of every handoff. */
  openHandoffs(limit: number): Promise<{ readonly handoffs: Handoff[]; readonly more: boolean }>;
  /** Notes the first agent reply the customer got; the handoff when this call was the first, else undefined. */
  markFirstReply(conversationId: string, threadTs: string): Promise<Handoff | undefined>;
  reopen(conversationId: string, threadTs: string, by: string): Promise<Handoff | undefined>;
}

/** What an attempt leaves for the next one of the same delivery. */
export interface DeliveryNotes {
  /** The "not delivered yet" notice in the thread, to be edited when it is. */
  readonly noticeTs?: string | undefined;
  /** Of a delivery in several posts, how many went out. */
  readonly partsDone?: number | undefined;
  /** PartProgress.fileTries: absent once the file went, or went without. */
  readonly fileTries?: number | undefined;
  /** The attempt may have posted without hearing back: the next one looks before it posts. */
  readonly postUncertain?: boolean | undefined;
}

export type ClaimResult =
  /** `takenOver`: from an attempt that died holding it (its lease lapsed), which may have done part of the work unnoted. */
  | ({ readonly status: 'claimed'; readonly token: string; readonly takenOver?: boolean } & DeliveryNotes)
  | { readonly status: 'duplicate' }
  | { readonly status: 'in_flight' };

/** At-most-once bookkeeping for deliveries that may be attempted more than once. */
export interface DeliveryLedger {
  claim(key: string): Promise<ClaimResult>;
  settle(key: string, token: string, outcome: 'delivered' | 'notified' | 'failed'): Promise<void>;
  release(key: string, token: string, notes?: DeliveryNotes): Promise<void>;
  stateOf(key: string): Promise<'pending' | 'released' | 'done' | undefined>;
  /** Attempt `n` (2 or more) at the delivery `id` begins: answers how many earlier ones, from the second on, began and never ended. */
  beginAttempt(id: string, n: number): Promise<number>;
  /** Attempt `n` at the delivery `id` ended, with a retry asked for or an error: it did not stop the function. */
  endAttempt(id: string, n: number): Promise<void>;
}

/** A ledger key from parts, unambiguous whatever the parts hold (their JSON, where joining them could collide). */
export const dedupeKey = (...parts: string[]): string => `dedupe#${JSON.stringify(parts)}`;

/** Work for the delivery function, in order per conversation and direction. */
export interface JobQueue {
  /** Resolves once the queue has the job; the same job (by key) twice within the queue's dedup window is kept once. */
  enqueue(job: DeliveryJob): Promise<void>;
}

/** Where agents' files are kept for the customers' links. */
export interface FileStore {
  put(key: string, body: Buffer, meta: { readonly contentType: string; readonly disposition: string }): Promise<void>;
  /** A URL that fetches the object for the next `seconds`. */
  presignedGet(key: string, seconds: number): Promise<string>;
}

export type Clock = () => number;

/** The `n`th reminder that a handoff waits for an agent, counted from when it began waiting (`since`, epoch ms). */
export interface Reminder {
  readonly conversationId: string;
  readonly since: number;
  readonly n: number;
}

/** Holds a reminder until it is due, then hands it back to the bridge (remindIfWaiting); survives restarts, may hand it back twice. */
export interface ReminderTimer {
  remindAt(reminder: Reminder, dueAt: number): Promise<void>;
}

/** What the service is measured by, per handoff, from its opening. */
export type ServiceLevelMeasure = 'time-to-claim' | 'time-to-first-reply' | 'time-to-resolve';

/** Where the service levels go (figures on a dashboard, an alarm): recorded once each per handoff, never failing the work. */
export interface ServiceLevels {
  record(measure: ServiceLevelMeasure, ms: number, where: { readonly channelId: string }): void;
}

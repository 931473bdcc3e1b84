import { randomUUID } from 'node:crypto';
import type { DeliveryDependencies } from '../../shared/domain/delivery/attempt';
import { deliveryPolicy, type DeliveryPolicy } from '../../shared/domain/delivery/policy';
import type { DeliveryJob } from '../../shared/domain/delivery/jobs';
import type { BotEvent } from '../../shared/domain/bot-events';
import type { Notice } from '../../shared/domain/notices';
import type { DeskFileRule } from '../../shared/domain/files/policy';
import { DownstreamError } from '../../shared/platform/errors';
import type {
  BotChannel,
  CardPlacement,
  ClaimResult,
  DeliveryLedger,
  DeliveryNotes,
  FileStore,
  Handoff,
  HandoffStore,
  JobQueue,
  MessageRef,
  OpeningHandoff,
  OpenQueue,
  Reaction,
  PartProgress,
  Reminder,
  ReminderTimer,
  ServiceLevelMeasure,
  ServiceLevels,
  SupportDesk,
  ThreadPost,
  ThreadRef,
} from '../../shared/domain/ports';

/*
 * The domain's ports in memory: what the domain's tests run against, fast and
 * with nothing of Slack, Botpress or AWS. Each keeps what was asked of it, and
 * can be told to fail the way the real adapters fail (the platform's errors).
 */

type Failure = () => Error;

/** A desk that records every request; `fail(method, error)` makes the next calls of a method fail until cleared. */
export class MemoryDesk implements SupportDesk {
  readonly cards = new Map<string, { channelId: string; view: Parameters<SupportDesk['postCard']>[1]; postId: string }>();
  readonly posts: { thread: ThreadRef; post: ThreadPost; id: string; postId?: string | undefined }[] = [];
  /** Set: the next card or part is posted, and then its answer is lost (a timeout after the desk took it). */
  loseNextAnswer = false;
  readonly updatedNotices: { noticeId: string; notice: Notice }[] = [];
  readonly told: { thread: ThreadRef; userId: string; notice: Notice }[] = [];
  readonly uploads: { thread: ThreadRef; name: string; body: Buffer }[] = [];
  /** A workspace rule that keeps every upload out, as a test sets it. */
  uploadRule: DeskFileRule | undefined;
  readonly removed: ThreadRef[] = [];
  /** What each agent's queue view shows now. */
  readonly queueViews = new Map<string, OpenQueue>();
  readonly failing = new Map<keyof SupportDesk, Failure>();
  /** Characters per message: a text longer is posted in parts. */
  partLength = 1_000;
  /** Set: after this many more parts are posted, the next one fails once with `partFailure`. */
  partsBeforeFailure: number | undefined;
  partFailure: Failure = () => new Error('the desk failed');
  private n = 0;

  private check(method: keyof SupportDesk): void {
    const failure = this.failing.get(method);
    if (failure) throw failure();
  }

  private nextId = () => `1700000000.${String((this.n += 1)).padStart(6, '0')}`;

  postCard(channelId: string, view: Parameters<SupportDesk['postCard']>[1], placement: CardPlacement): Promise<ThreadRef> {
    this.check('postCard');
    if (placement.lookSince !== undefined) {
      const found = [...this.cards].find(([, card]) => card.postId === placement.postId);
      if (found) return Promise.resolve({ channelId: found[1].channelId, threadTs: found[0] });
    }
    const threadTs = this.nextId();
    this.cards.set(threadTs, { channelId, view, postId: placement.postId });
    this.answerOrLose();
    return Promise.resolve({ channelId, threadTs });
  }

  private answerOrLose(): void {
    if (!this.loseNextAnswer) return;
    this.loseNextAnswer = false;
    throw new DownstreamError('slack', 'chat.postMessage failed: no answer in time');
  }

  updateCard(thread: ThreadRef, view: Parameters<SupportDesk['updateCard']>[1]): Promise<void> {
    this.check('updateCard');
    this.cards.set(thread.threadTs, { ...this.cards.get(thread.threadTs)!, channelId: thread.channelId, view });
    return Promise.resolve();
  }

  removeCard(thread: ThreadRef): Promise<void> {
    this.check('removeCard');
    this.cards.delete(thread.threadTs);
    this.removed.push(thread);
    return Promise.resolve();
  }

  introFor(summary: string, transcript: Parameters<SupportDesk['introFor']>[1]) {
    const long = summary.length > 100;
    if (transcript.length === 0 && !long) return undefined;
    return { ...(long ? { summary } : {}), transcript: [...transcript], omittedLines: 0 };
  }

  partsIn(post: ThreadPost): number {
    return post.kind === 'customer-text' ? Math.ceil(post.text.length / this.partLength) : 1;
  }

  async postInThread(thread: ThreadRef, post: ThreadPost, progress: PartProgress = { partsDone: 0 }): Promise<string | undefined> {
    let id: string | undefined;
    const posted = progress.lookSince === undefined ? undefined : new Set(this.posts.map((entry) => entry.postId));
    progress.lookSince = undefined;
    for (let part = progress.partsDone; part < this.partsIn(post); part += 1) {
      this.check('postInThread');
      const postId = progress.postId === undefined ? undefined : `${progress.postId}#${part}`;
      if (posted?.has(postId)) {
        progress.partsDone += 1;
        continue;
      }
      if (this.partsBeforeFailure !== undefined && this.partsBeforeFailure-- === 0) {
        this.partsBeforeFailure = undefined;
        throw this.partFailure();
      }
      id = this.nextId();
      const piece = post.kind === 'customer-text' ? { ...post, text: post.text.slice(part * this.partLength, (part + 1) * this.partLength) } : post;
      this.posts.push({ thread, post: piece, id, postId });
      this.answerOrLose();
      progress.partsDone += 1;
      await Promise.resolve();
    }
    return id;
  }

  updateNotice(_thread: ThreadRef, noticeId: string, notice: Notice): Promise<void> {
    this.check('updateNotice');
    this.updatedNotices.push({ noticeId, notice });
    return Promise.resolve();
  }

  readonly reactions: { message: MessageRef; reaction: Reaction }[] = [];

  showQueue(userId: string, queue: OpenQueue): Promise<void> {
    this.check('showQueue');
    this.queueViews.set(userId, queue);
    return Promise.resolve();
  }

  react(message: MessageRef, reaction: Reaction): Promise<void> {
    this.check('react');
    if (!this.reactions.some((entry) => entry.message.messageTs === message.messageTs && entry.reaction === reaction)) this.reactions.push({ message, reaction });
    return Promise.resolve();
  }

  tellPrivately(thread: ThreadRef, userId: string, notice: Notice): Promise<void> {
    this.check('tellPrivately');
    this.told.push({ thread, userId, notice });
    return Promise.resolve();
  }

  uploadFile(thread: ThreadRef, file: Parameters<SupportDesk['uploadFile']>[1]): Promise<{ refusedBy: DeskFileRule } | undefined> {
    this.check('uploadFile');
    if (this.uploadRule) return Promise.resolve({ refusedBy: this.uploadRule });
    this.uploads.push({ thread, name: file.name, body: file.body });
    return Promise.resolve(undefined);
  }

  /** People's messages in threads, as the desk holds them: what writtenAfter looks at. */
  readonly written: { threadTs: string; messageTs: string }[] = [];

  async writtenAfter(reply: Parameters<SupportDesk['writtenAfter']>[0]): Promise<boolean> {
    await Promise.resolve();
    this.check('writtenAfter');
    return this.written.some((message) => message.threadTs === reply.threadTs && message.messageTs > reply.messageTs);
  }

  readReply(reply: Parameters<SupportDesk['readReply']>[0]) {
    this.check('readReply');
    return Promise.resolve({ text: reply.markup.trim(), agent: { name: `name of ${reply.userId}` } });
  }

  person(userId: string) {
    return Promise.resolve({ name: `name of ${userId}` });
  }

  describeFile(fileId: string): ReturnType<SupportDesk['describeFile']> {
    this.check('describeFile');
    return Promise.resolve({ id: fileId, name: `${fileId}.png`, mimetype: 'image/png', size: 3, external: false });
  }

  readFile(): ReturnType<SupportDesk['readFile']> {
    this.check('readFile');
    return Promise.resolve(Buffer.from('png'));
  }

  /** The texts of the thread's posts, by kind: what an agent reads there. */
  threadOf(threadTs: string): ThreadPost[] {
    return this.posts.filter((entry) => entry.thread.threadTs === threadTs).map((entry) => entry.post);
  }
}

/** A handoff store with the real one's conditions (shared/aws/handoff-store.ts), in a map. */
export class MemoryHandoffStore implements HandoffStore {
  readonly items = new Map<string, { handoff: Handoff | (OpeningHandoff & { details: Parameters<HandoffStore['reserve']>[1] }); reservation?: string; leaseUntil?: number }>();
  now = () => Date.now();
  touched = 0;

  findByConversation(conversationId: string): Promise<Handoff | OpeningHandoff | undefined> {
    const item = this.items.get(conversationId);
    if (!item) return Promise.resolve(undefined);
    if (item.handoff.state === 'opening') return Promise.resolve({ state: 'opening', conversationId, queued: item.handoff.queued });
    return Promise.resolve(item.handoff);
  }

  async findThreadOf(conversationId: string): Promise<Handoff | undefined> {
    const handoff = await this.findByConversation(conversationId);
    return handoff?.state === 'opening' ? undefined : handoff;
  }

  findByThread(channelId: string, threadTs: string): Promise<Handoff | undefined> {
    for (const { handoff } of this.items.values()) {
      if (handoff.state !== 'opening' && handoff.channelId === channelId && handoff.threadTs === threadTs) return Promise.resolve(handoff);
    }
    return Promise.resolve(undefined);
  }

  async reserve(conversationId: string, details: Parameters<HandoffStore['reserve']>[1], leaseMs: number) {
    await Promise.resolve();
    const item = this.items.get(conversationId);
    const free = !item || item.handoff.state === 'closed' || (item.handoff.state === 'opening' && (item.leaseUntil ?? 0) <= this.now());
    if (!free) return { reserved: false as const, current: (await this.findByConversation(conversationId))! };
    const token = randomUUID();
    this.items.set(conversationId, { handoff: { state: 'opening', conversationId, queued: false, details }, reservation: token, leaseUntil: this.now() + leaseMs });
    return { reserved: true as const, token };
  }

  markQueued(conversationId: string, token: string, leaseMs: number): Promise<boolean> {
    const item = this.items.get(conversationId);
    if (item?.handoff.state !== 'opening' || item.reservation !== token) return Promise.resolve(false);
    item.handoff = { ...item.handoff, queued: true };
    item.leaseUntil = this.now() + leaseMs;
    return Promise.resolve(true);
  }

  reservationOf(conversationId: string): Promise<string | undefined> {
    const item = this.items.get(conversationId);
    return Promise.resolve(item?.handoff.state === 'opening' ? item.reservation : undefined);
  }

  async activate(conversationId: string, token: string, thread: ThreadRef): Promise<Handoff> {
    await Promise.resolve();
    const item = this.items.get(conversationId);
    if (!item || item.reservation !== token || item.handoff.state !== 'opening') throw new Error('conditional check failed: the reservation is not this token’s');
    const handoff: Handoff = { conversationId, ...item.handoff.details, ...thread, state: 'open', openedAt: this.now(), waitingSince: this.now(), expiresAt: Math.floor(this.now() / 1000) + 3600 };
    this.items.set(conversationId, { handoff });
    return handoff;
  }

  abandon(conversationId: string, token: string): Promise<boolean> {
    const item = this.items.get(conversationId);
    if (item?.reservation !== token) return Promise.resolve(false);
    this.items.delete(conversationId);
    return Promise.resolve(true);
  }

  touch(): Promise<void> {
    this.touched += 1;
    return Promise.resolve();
  }

  private transition(conversationId: string, threadTs: string, holds: (handoff: Handoff) => boolean, change: (handoff: Handoff) => Handoff): Promise<Handoff | undefined> {
    const item = this.items.get(conversationId);
    if (!item || item.handoff.state === 'opening' || item.handoff.threadTs !== threadTs || !holds(item.handoff)) return Promise.resolve(undefined);
    item.handoff = change(item.handoff);
    return Promise.resolve(item.handoff);
  }

  assignAgent(conversationId: string, threadTs: string, agentUserId: string) {
    return this.transition(conversationId, threadTs, (h) => h.state === 'open' && !h.claimedBy, ({ waitingSince: _since, ...h }) => ({ ...h, claimedBy: agentUserId, claimedAt: this.now(), firstClaimedAt: h.firstClaimedAt ?? this.now() }));
  }

  reassignAgent(conversationId: string, threadTs: string, from: string, to: string) {
    return this.transition(conversationId, threadTs, (h) => h.state === 'open' && h.claimedBy === from, (h) => ({ ...h, claimedBy: to, claimedAt: this.now() }));
  }

  unassignAgent(conversationId: string, threadTs: string, agentUserId: string) {
    return this.transition(conversationId, threadTs, (h) => h.state === 'open' && h.claimedBy === agentUserId, ({ claimedBy: _claimed, claimedAt: _at, ...h }) => ({ ...h, waitingSince: this.now() }));
  }

  close(conversationId: string, threadTs: string, closure: { by: string; reason: string }) {
    return this.transition(conversationId, threadTs, (h) => h.state === 'open', (h) => ({ ...h, state: 'closed', closedBy: closure.by, closedReason: closure.reason, closedAt: this.now() }));
  }

  openHandoffs(limit: number): Promise<{ handoffs: Handoff[]; more: boolean }> {
    const open = [...this.items.values()].map((item) => item.handoff).filter((handoff): handoff is Handoff => handoff.state === 'open').sort((a, b) => a.openedAt - b.openedAt);
    return Promise.resolve({ handoffs: open.slice(0, limit), more: open.length > limit });
  }

  markFirstReply(conversationId: string, threadTs: string) {
    return this.transition(conversationId, threadTs, (h) => h.firstReplyAt === undefined, (h) => ({ ...h, firstReplyAt: this.now() }));
  }

  reopen(conversationId: string, threadTs: string, by: string) {
    return this.transition(conversationId, threadTs, (h) => h.state === 'closed' && h.closedBy === by, ({ closedBy: _by, closedReason: _reason, closedAt: _at, ...h }) => ({ ...h, state: 'open' }));
  }
}

/** The delivery ledger's claim / settle / release, with leases, in a map. */
export class MemoryLedger implements DeliveryLedger {
  readonly records = new Map<string, { state: 'pending' | 'released' | 'done'; token?: string; leaseUntil?: number } & DeliveryNotes>();
  now = () => Date.now();

  claim(key: string): Promise<ClaimResult> {
    const record = this.records.get(key);
    if (record?.state === 'done') return Promise.resolve({ status: 'duplicate' });
    if (record?.state === 'pending' && (record.leaseUntil ?? 0) > this.now()) return Promise.resolve({ status: 'in_flight' });
    const token = randomUUID();
    this.records.set(key, { ...record, state: 'pending', token, leaseUntil: this.now() + 60_000 });
    return Promise.resolve({
      status: 'claimed',
      token,
      noticeTs: record?.noticeTs,
      partsDone: record?.partsDone,
      fileTries: record?.fileTries,
      postUncertain: record?.postUncertain,
      ...(record?.state === 'pending' ? { takenOver: true } : {}),
    });
  }

  settle(key: string, token: string): Promise<void> {
    const record = this.records.get(key);
    if (record?.token === token) this.records.set(key, { ...record, state: 'done' });
    return Promise.resolve();
  }

  release(key: string, token: string, notes: DeliveryNotes = {}): Promise<void> {
    const record = this.records.get(key);
    if (record?.token === token) this.records.set(key, { ...record, ...notes, state: 'released', token: undefined });
    return Promise.resolve();
  }

  stateOf(key: string) {
    return Promise.resolve(this.records.get(key)?.state);
  }

  readonly attempts = new Map<string, { begun: Set<number>; ended: Set<number> }>();

  beginAttempt(id: string, n: number): Promise<number> {
    const record = this.attempts.get(id) ?? { begun: new Set<number>(), ended: new Set<number>() };
    record.begun.add(n);
    this.attempts.set(id, record);
    return Promise.resolve([...record.begun].filter((earlier) => earlier !== n && !record.ended.has(earlier)).length);
  }

  endAttempt(id: string, n: number): Promise<void> {
    this.attempts.get(id)?.ended.add(n);
    return Promise.resolve();
  }
}

/** A queue that keeps jobs in order and drops a repeat of a key, as SQS FIFO does within 5 minutes. */
export class MemoryQueue implements JobQueue {
  readonly jobs: DeliveryJob[] = [];
  failing: Failure | undefined;
  private readonly keys = new Set<string>();

  enqueue(job: DeliveryJob): Promise<void> {
    if (this.failing) return Promise.reject(this.failing());
    const key = JSON.stringify(job.key);
    if (!this.keys.has(key)) this.jobs.push(job);
    this.keys.add(key);
    return Promise.resolve();
  }

  /** Takes every job queued so far, in order. */
  drain(): DeliveryJob[] {
    return this.jobs.splice(0);
  }
}

export class MemoryBot implements BotChannel {
  readonly events: BotEvent[] = [];
  failing: Failure | undefined;

  send(event: BotEvent): Promise<void> {
    if (this.failing) return Promise.reject(this.failing());
    this.events.push(event);
    return Promise.resolve();
  }
}

export class MemoryFileStore implements FileStore {
  readonly objects = new Map<string, Buffer>();

  put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, body);
    return Promise.resolve();
  }

  presignedGet(key: string, seconds: number): Promise<string> {
    return Promise.resolve(`https://files.example/${encodeURIComponent(key)}?expires=${seconds}`);
  }
}

/** A logger that keeps nothing: the domain's tests assert on what it did, not on what it logged. */
export const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Every port of the delivery function in memory, with one open handoff (`conv-1`) on `thread`. */
export async function memoryDelivery(
  thread: ThreadRef,
  options: { readonly customerName?: string; readonly now?: () => number; readonly openingWaitMs?: number; readonly reminderIntervalMs?: number; readonly policy?: DeliveryPolicy } = {},
) {
  const store = new MemoryHandoffStore();
  const reservation = await store.reserve('conv-1', { botpressUserId: 'bp-user', summary: 's', customerName: options.customerName }, 15_000);
  if (reservation.reserved) await store.activate('conv-1', reservation.token, thread);
  const files = new MemoryFileStore();
  return {
    store,
    ledger: new MemoryLedger(),
    queue: new MemoryQueue(),
    desk: new MemoryDesk(),
    bot: new MemoryBot(),
    logger: quietLog,
    serviceLevels: new MemoryServiceLevels(),
    reminders: { intervalMs: options.reminderIntervalMs ?? 0, timer: new MemoryReminderTimer() },
    supportChannelId: thread.channelId,
    queueChannels: new Map<string, string>(),
    policy: options.policy ?? deliveryPolicy(15 * 60_000, 1000),
    files: { store: files, linkKey: () => Promise.resolve(Buffer.alloc(32, 1)), publicUrl: 'https://bridge.example', linkSeconds: 3600, botOrigin: () => Promise.resolve(undefined) },
    ...(options.now ? { now: options.now } : {}),
    // A handoff still opening is not waited for unless a test asks: the job is retried at once.
    openingWaitMs: options.openingWaitMs ?? 0,
  } satisfies DeliveryDependencies;
}

/** Service levels as recorded, in order. */
export class MemoryServiceLevels implements ServiceLevels {
  readonly recorded: { measure: ServiceLevelMeasure; ms: number; channelId: string }[] = [];
  record(measure: ServiceLevelMeasure, ms: number, where: { readonly channelId: string }): void {
    this.recorded.push({ measure, ms, channelId: where.channelId });
  }
}

/** Reminders held until due, in the order set. */
export class MemoryReminderTimer implements ReminderTimer {
  readonly set: { reminder: Reminder; dueAt: number }[] = [];
  failing: (() => Error) | undefined;
  remindAt(reminder: Reminder, dueAt: number): Promise<void> {
    if (this.failing) return Promise.reject(this.failing());
    this.set.push({ reminder, dueAt });
    return Promise.resolve();
  }
}

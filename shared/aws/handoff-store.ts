import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Handoff, HandoffDetails, HandoffStore, OpeningHandoff, Reservation, ThreadRef } from '../domain/ports';
import { conditionally, dynamo, epochSeconds } from './dynamo';

/**
 * The domain's HandoffStore on DynamoDB.
 *
 * Storage (one table, string key `pk`, TTL attribute `expiresAt`):
 *   conversation#<conversationId>       the handoff itself: state, thread, customer — the one source of truth
 *   thread#<channelId>_<threadTs>       a pointer back to the conversation id, written once per thread
 *
 * State lives on the conversation item only, so every state change is a
 * single-item conditional write (no transactions: the same code runs on
 * DynamoDB and on local DynamoDB-API servers). A thread pointer whose
 * conversation has since moved to another thread reads as "no handoff".
 */
type StoredHandoff = Omit<Handoff, 'state' | 'channelId' | 'threadTs'> & {
  readonly pk: string;
  /** OPEN_HANDOFFS.partition while open, absent otherwise: what puts it in the sparse index of open handoffs. */
  readonly openQueue?: string;
  readonly state: Handoff['state'] | 'opening';
  readonly channelId?: string;
  readonly threadTs?: string;
  readonly reservation?: string;
  readonly leaseExpiresAt?: number;
  readonly queued?: boolean;
};

export interface ThreadStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Lifetime of a mapping after its last activity. */
  readonly ttlSeconds: number;
  readonly now?: () => number;
}

export const conversationKey = (conversationId: string): string => `conversation#${conversationId}`;

/**
 * The sparse index of open handoffs, oldest first: only a handoff while open
 * carries its partition key (`openQueue`), so reading the queue reads open
 * handoffs alone, never the table. One partition: a support desk has
 * hundreds open at the most, far under a partition's limits.
 */
export const OPEN_HANDOFFS = { indexName: 'open-handoffs', partitionKey: 'openQueue', sortKey: 'openedAt', partition: 'open' } as const;
/**
 * `%` and `_` escaped in each part, so that no two threads share a key. Slack's
 * channel ids and timestamps hold neither, so their keys read as they always
 * did: mappings already in a table are found.
 */
const keyPart = (part: string) => part.replace(/%/g, '%25').replace(/_/g, '%5F');
export const threadKey = (channelId: string, threadTs: string): string => `thread#${keyPart(channelId)}_${keyPart(threadTs)}`;

const NAMES = { '#state': 'state' } as const;

/** Bounds the thread → conversation memory of a warm container (under a megabyte); the oldest is forgotten first. */
const MAX_REMEMBERED_THREADS = 5_000;

export class ThreadStore implements HandoffStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly threadConversations = new Map<string, string>();

  constructor(options: ThreadStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds;
    this.now = options.now ?? (() => Date.now());
  }

  /** The conversation's current handoff (opening, open or closed); undefined when none, or expired. */
  async findByConversation(conversationId: string): Promise<Handoff | OpeningHandoff | undefined> {
    const item = await this.getLive<StoredHandoff>(conversationKey(conversationId));
    return item ? toHandoff(item) : undefined;
  }

  /** The conversation's handoff if it has a thread (open or closed). */
  async findThreadOf(conversationId: string): Promise<Handoff | undefined> {
    const handoff = await this.findByConversation(conversationId);
    return handoff?.state === 'opening' ? undefined : handoff;
  }

  /** The handoff a Slack thread belongs to; undefined when unknown, expired, or superseded by a newer thread. */
  async findByThread(channelId: string, threadTs: string): Promise<Handoff | undefined> {
    const key = threadKey(channelId, threadTs);
    let conversationId = this.threadConversations.get(key);
    if (conversationId === undefined) {
      const pointer = await this.getLive<{ conversationId: string }>(key);
      if (!pointer) return undefined;
      conversationId = pointer.conversationId;
      this.rememberThread(key, conversationId);
    }
    const handoff = await this.findThreadOf(conversationId);
    return handoff?.channelId === channelId && handoff.threadTs === threadTs ? handoff : undefined;
  }

  /**
   * A thread belongs to one conversation for good (a Slack ts is never reused),
   * so the pointer can be remembered: an agent's later replies in the thread
   * then cost one read, not two. The conversation item, read every time, stays
   * the authority on whether the handoff is live and still in this thread.
   */
  private rememberThread(key: string, conversationId: string): void {
    if (this.threadConversations.size >= MAX_REMEMBERED_THREADS) {
      this.threadConversations.delete(this.threadConversations.keys().next().value!);
    }
    this.threadConversations.set(key, conversationId);
  }

  /**
   * Claims the right to open a handoff for a conversation. Exactly one of any
   * number of concurrent callers gets `reserved: true`; the others see the
   * current state. A reservation whose holder died (lease passed) can be taken over.
   *
   *   caller A: reserve ──► post card to Slack ──► activate(token)
   *   caller B:    reserve ✗ (opening) … poll … findByConversation ──► already_open
   */
  async reserve(conversationId: string, details: HandoffDetails, leaseMs: number): Promise<Reservation> {
    const nowMs = this.now();
    const token = randomUUID();
    const item: StoredHandoff = {
      pk: conversationKey(conversationId),
      conversationId,
      state: 'opening',
      reservation: token,
      leaseExpiresAt: nowMs + leaseMs,
      ...details,
      openedAt: nowMs,
      expiresAt: epochSeconds(nowMs) + this.ttlSeconds,
    };
    const reserved = await conditionally('reserve handoff', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :nowS OR #state = :closed OR (#state = :opening AND leaseExpiresAt <= :nowMs)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':nowS': epochSeconds(nowMs), ':nowMs': nowMs, ':closed': 'closed', ':opening': 'opening' },
        }),
      ),
    );
    if (reserved) return { reserved: true, token };
    const current = await this.getLive<StoredHandoff>(conversationKey(conversationId));
    // Gone between the two calls (expired or abandoned): report it as still opening; the caller retries.
    return { reserved: false, current: current ? toHandoff(current) : { state: 'opening', conversationId, queued: false } };
  }

  /**
   * Keeps a reservation for the delivery function, which will post the card
   * when Slack can take it: the lease grows to cover its retries, and callers
   * see the handoff as opening and queued rather than waiting for it.
   */
  async markQueued(conversationId: string, token: string, leaseMs: number): Promise<boolean> {
    return conditionally('queue handoff', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: conversationKey(conversationId) },
          UpdateExpression: 'SET queued = :true, leaseExpiresAt = :lease',
          ConditionExpression: '#state = :opening AND reservation = :token',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':true': true, ':lease': this.now() + leaseMs, ':opening': 'opening', ':token': token },
        }),
      ),
    );
  }

  /** The reservation token of a handoff still opening (the delivery function checks its job is the live one). */
  async reservationOf(conversationId: string): Promise<string | undefined> {
    const item = await this.getLive<StoredHandoff>(conversationKey(conversationId));
    return item?.state === 'opening' ? item.reservation : undefined;
  }

  /** Completes a reservation once the Slack thread exists. */
  async activate(conversationId: string, token: string, thread: ThreadRef): Promise<Handoff> {
    const nowMs = this.now();
    const expiresAt = epochSeconds(nowMs) + this.ttlSeconds;
    // Pointer first: once the handoff reads as open, the reverse lookup must already work.
    await dynamo('write thread pointer', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: threadKey(thread.channelId, thread.threadTs), conversationId, expiresAt },
        }),
      ),
    );
    const result = await dynamo('activate handoff', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: conversationKey(conversationId) },
          UpdateExpression:
            'SET #state = :open, channelId = :channelId, threadTs = :threadTs, openedAt = :nowMs, waitingSince = :nowMs, expiresAt = :expiresAt, openQueue = :openQueue REMOVE reservation, leaseExpiresAt, queued',
          ConditionExpression: 'reservation = :token',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':open': 'open',
            ':channelId': thread.channelId,
            ':threadTs': thread.threadTs,
            ':nowMs': nowMs,
            ':expiresAt': expiresAt,
            ':token': token,
            ':openQueue': OPEN_HANDOFFS.partition,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toHandoff(result.Attributes as StoredHandoff) as Handoff;
  }

  /**
   * Gives a reservation up (the card could not be posted or stored), so that
   * the next attempt can reserve at once. False when it was no longer this
   * token's: its lease ran out, or the handoff did open after all.
   */
  async abandon(conversationId: string, token: string): Promise<boolean> {
    return conditionally('abandon reservation', () =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: conversationKey(conversationId) },
          ConditionExpression: 'reservation = :token',
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
  }

  /**
   * Pushes the expiry of an open handoff and its thread pointer to a full
   * lifetime from now. Skipped while the handoff has aged by less than a tenth
   * of its lifetime (at most an hour): a busy thread would otherwise cost two
   * writes per message to move the expiry by seconds.
   */
  async touch(handoff: Pick<Handoff, 'conversationId' | 'channelId' | 'threadTs' | 'expiresAt'>): Promise<void> {
    const expiresAt = epochSeconds(this.now()) + this.ttlSeconds;
    if (expiresAt - handoff.expiresAt < Math.min(3600, this.ttlSeconds / 10)) return;
    await Promise.all([
      conditionally('refresh handoff expiry', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: conversationKey(handoff.conversationId) },
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ConditionExpression: '#state = :open AND threadTs = :threadTs',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':expiresAt': expiresAt, ':open': 'open', ':threadTs': handoff.threadTs },
          }),
        ),
      ),
      conditionally('refresh thread expiry', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: threadKey(handoff.channelId, handoff.threadTs) },
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':expiresAt': expiresAt },
          }),
        ),
      ),
    ]);
  }

  /** Records the agent who claimed an open handoff, and when. Undefined when it was already claimed or is not open: the caller acts only on a change. */
  async assignAgent(conversationId: string, threadTs: string, agentUserId: string): Promise<Handoff | undefined> {
    return this.transition('assign agent', conversationId, threadTs, {
      condition: '#state = :open AND attribute_not_exists(claimedBy)',
      update: 'SET claimedBy = :agent, claimedAt = :nowMs, firstClaimedAt = if_not_exists(firstClaimedAt, :nowMs) REMOVE waitingSince',
      values: { ':open': 'open', ':agent': agentUserId, ':nowMs': this.now() },
    });
  }

  /** Gives an open handoff from the agent who has it to another (a take-over, or its undoing). Undefined when `from` no longer has it. */
  async reassignAgent(conversationId: string, threadTs: string, from: string, to: string): Promise<Handoff | undefined> {
    return this.transition('reassign agent', conversationId, threadTs, {
      condition: '#state = :open AND claimedBy = :from',
      update: 'SET claimedBy = :to, claimedAt = :nowMs',
      values: { ':open': 'open', ':from': from, ':to': to, ':nowMs': this.now() },
    });
  }

  /** Takes the agent off an open handoff they have (a release, or undoing a Claim the bot could not be told of). */
  async unassignAgent(conversationId: string, threadTs: string, agentUserId: string): Promise<Handoff | undefined> {
    return this.transition('unassign agent', conversationId, threadTs, {
      condition: '#state = :open AND claimedBy = :agent',
      update: 'SET waitingSince = :nowMs REMOVE claimedBy, claimedAt',
      values: { ':open': 'open', ':agent': agentUserId, ':nowMs': this.now() },
    });
  }

  /** Closes an open handoff. Undefined when it was not open: exactly one caller sees the close. */
  async close(conversationId: string, threadTs: string, closure: { by: string; reason: string }): Promise<Handoff | undefined> {
    return this.transition('close handoff', conversationId, threadTs, {
      condition: '#state = :open',
      update: 'SET #state = :closed, closedBy = :by, closedReason = :reason, closedAt = :nowMs REMOVE openQueue',
      values: { ':open': 'open', ':closed': 'closed', ':by': closure.by, ':reason': closure.reason, ':nowMs': this.now() },
    });
  }

  /** The open handoffs, oldest first, at most `limit`, and whether there are more: from the sparse index, never the table. */
  async openHandoffs(limit: number): Promise<{ readonly handoffs: Handoff[]; readonly more: boolean }> {
    const nowS = epochSeconds(this.now());
    const result = await dynamo('list open handoffs', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: OPEN_HANDOFFS.indexName,
          KeyConditionExpression: '#queue = :open',
          // Expired but not yet deleted by DynamoDB (it takes its time): not open any more.
          FilterExpression: 'expiresAt > :nowS',
          ExpressionAttributeNames: { '#queue': OPEN_HANDOFFS.partitionKey },
          ExpressionAttributeValues: { ':open': OPEN_HANDOFFS.partition, ':nowS': nowS },
          ScanIndexForward: true,
          Limit: limit + 1,
        }),
      ),
    );
    const items = (result.Items ?? []) as StoredHandoff[];
    return { handoffs: items.slice(0, limit).map((item) => toHandoff(item) as Handoff), more: items.length > limit || result.LastEvaluatedKey !== undefined };
  }

  /** Notes the first agent reply the customer got: the handoff when this call was the first (its time to first reply counts once). */
  async markFirstReply(conversationId: string, threadTs: string): Promise<Handoff | undefined> {
    return this.transition('note first reply', conversationId, threadTs, {
      // Open or closed: a reply queued before a Resolve still reaches the customer after it.
      condition: '#state IN (:open, :closed) AND attribute_not_exists(firstReplyAt)',
      update: 'SET firstReplyAt = :nowMs',
      values: { ':open': 'open', ':closed': 'closed', ':nowMs': this.now() },
    });
  }

  /** Undoes a close by `by` when the bot could not be told, so that the agent can press Resolve again. */
  async reopen(conversationId: string, threadTs: string, by: string): Promise<Handoff | undefined> {
    return this.transition('reopen handoff', conversationId, threadTs, {
      condition: '#state = :closed AND closedBy = :by',
      update: 'SET #state = :open, openQueue = :openQueue REMOVE closedBy, closedReason, closedAt',
      values: { ':open': 'open', ':closed': 'closed', ':by': by, ':openQueue': OPEN_HANDOFFS.partition },
    });
  }

  /**
   * One conditional update of a live handoff on a given thread; the new item
   * when the condition held, undefined when it did not (someone else won).
   */
  private async transition(
    operation: string,
    conversationId: string,
    threadTs: string,
    change: { condition: string; update: string; values: Record<string, unknown> },
  ): Promise<Handoff | undefined> {
    let attributes: Record<string, unknown> | undefined;
    const changed = await conditionally(operation, async () => {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: conversationKey(conversationId) },
          UpdateExpression: change.update,
          ConditionExpression: `threadTs = :threadTs AND expiresAt > :nowS AND ${change.condition}`,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':threadTs': threadTs, ':nowS': epochSeconds(this.now()), ...change.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    });
    return changed && attributes ? (toHandoff(attributes as StoredHandoff) as Handoff) : undefined;
  }

  /** DynamoDB deletes expired items lazily (up to days later): an expired item reads as absent. */
  private async getLive<T>(pk: string): Promise<(T & { expiresAt: number }) | undefined> {
    const result = await dynamo('get item', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true })),
    );
    const item = result.Item as (T & { expiresAt: number }) | undefined;
    return item && item.expiresAt > epochSeconds(this.now()) ? item : undefined;
  }
}

function toHandoff(item: StoredHandoff): Handoff | OpeningHandoff {
  if (item.state === 'opening' || !item.channelId || !item.threadTs) return { state: 'opening', conversationId: item.conversationId, queued: item.queued === true };
  const { pk: _pk, reservation: _reservation, leaseExpiresAt: _lease, queued: _queued, openQueue: _openQueue, ...handoff } = item;
  return handoff as Handoff;
}

import { randomUUID } from 'node:crypto';
import { GetCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimResult, DeliveryLedger as DeliveryLedgerPort, DeliveryNotes } from '../domain/ports';
import { conditionally, dynamo, epochSeconds } from './dynamo';

/**
 * At-most-once bookkeeping for deliveries that may be attempted more than
 * once (a queue message received again, Slack re-sending an event, Botpress
 * resending a customer message).
 *
 * A delivery is guarded by one key. `claim` marks it pending with a
 * conditional write; whoever claims it does the work, then `settle`s it (done:
 * later attempts are duplicates) or `release`s it (failed: a later attempt may
 * claim it again). A release keeps what the attempt noted (the ts of the
 * "not delivered yet" notice, how many of several posts went out), which the
 * next claim hands back. A pending
 * claim whose holder died is taken over once its lease has passed, so a
 * crash cannot block a delivery forever.
 *
 *   attempt 1: claim ✓ ── POST fails ── release (notice posted: its ts kept)
 *   attempt 2 (retry):      claim ✓ (notice ts) ── POST ok ── settle ── notice updated
 *   attempt 3 (a repeat):                                      claim ✗ done → duplicate
 */

export type SettledOutcome = 'delivered' | 'notified' | 'failed';

export interface DeliveryLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a record keeps answering "duplicate"; beyond every sender's retry window. */
  readonly ttlSeconds?: number;
  /** Longer than any one attempt takes, so that only a dead attempt's claim is ever taken over. */
  readonly leaseMs?: number;
  readonly now?: () => number;
}


/*
 * The claim's condition, clause by clause: the race each one settles.
 *   NEVER_CLAIMED    first attempt
 *   EXPIRED          the record outlived its TTL but DynamoDB has not deleted it yet: it says nothing any more
 *   RELEASED         an earlier attempt failed and gave the delivery back
 *   LEASE_LAPSED     an earlier attempt died holding it (a crash, a timeout)
 * Not claimable: done (a duplicate), or pending under a live lease (in flight).
 */
const NEVER_CLAIMED = 'attribute_not_exists(pk)';
const EXPIRED = 'expiresAt <= :nowS';
const RELEASED = '#state = :released';
const LEASE_LAPSED = '(#state = :pending AND leaseExpiresAt <= :nowMs)';
const CLAIMABLE = [NEVER_CLAIMED, EXPIRED, RELEASED, LEASE_LAPSED].join(' OR ');

export class DeliveryLedger implements DeliveryLedgerPort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(options: DeliveryLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? 24 * 3600;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.now = options.now ?? (() => Date.now());
  }

  async claim(key: string): Promise<ClaimResult> {
    const token = randomUUID();
    const nowMs = this.now();
    let notes: DeliveryNotes = {};
    let takenOver = false;
    const claimed = await conditionally('claim delivery', async () => {
      // An update, not a put: a release's notes must survive the next claim.
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: 'SET #state = :pending, claimToken = :token, leaseExpiresAt = :lease, expiresAt = :expiresAt',
          ConditionExpression: CLAIMABLE,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':released': 'released',
            ':token': token,
            ':lease': nowMs + this.leaseMs,
            ':expiresAt': epochSeconds(nowMs) + this.ttlSeconds,
            ':nowS': epochSeconds(nowMs),
            ':nowMs': nowMs,
          },
          // The record as it was: its notes (the update leaves them), and whether a live-looking claim was taken over.
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = result.Attributes;
      const live = old !== undefined && (old.expiresAt as number) > epochSeconds(nowMs);
      notes = live
        ? {
            noticeTs: old.noticeTs as string | undefined,
            partsDone: old.partsDone as number | undefined,
            fileTries: old.fileTries as number | undefined,
            postUncertain: old.postUncertain as boolean | undefined,
          }
        : {};
      takenOver = live && old.state === 'pending';
    });
    if (claimed) return { status: 'claimed', token, ...notes, ...(takenOver ? { takenOver } : {}) };
    const holder = await this.read(key);
    // Gone between the failed write and this read: released and expired, or taken over and released. Claimable again soon.
    return holder?.state === 'done' ? { status: 'duplicate' } : { status: 'in_flight' };
  }

  async settle(key: string, token: string, outcome: SettledOutcome): Promise<void> {
    await conditionally('settle delivery', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: 'SET #state = :done, outcome = :outcome REMOVE leaseExpiresAt',
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':done': 'done', ':outcome': outcome, ':token': token },
        }),
      ),
    );
  }

  /**
   * Gives the delivery back for a later attempt, with what this one noted (a
   * note given as undefined is removed); a claim taken over by another attempt is left alone.
   */
  async release(key: string, token: string, notes: DeliveryNotes = {}): Promise<void> {
    const kept = Object.entries(notes).filter(([, value]) => value !== undefined);
    const dropped = Object.entries(notes).filter(([, value]) => value === undefined).map(([name]) => name);
    await conditionally('release delivery claim', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: `SET #state = :released${kept.map(([name]) => `, ${name} = :${name}`).join('')} REMOVE ${['claimToken', 'leaseExpiresAt', ...dropped].join(', ')}`,
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':released': 'released', ':token': token, ...Object.fromEntries(kept.map(([name, value]) => [`:${name}`, value])) },
        }),
      ),
    );
  }

  /**
   * The attempts at one queue message, from the second on: a set of those
   * that began and one of those that ended. One that began and never ended
   * stopped the function (a throttled receive never begins, so it does not count).
   */
  async beginAttempt(id: string, n: number): Promise<number> {
    const record = await this.noteAttempt(id, 'begun', n);
    const begun = (record?.begun as Set<number> | undefined) ?? new Set<number>();
    const ended = (record?.ended as Set<number> | undefined) ?? new Set<number>();
    return [...begun].filter((earlier) => earlier !== n && !ended.has(earlier)).length;
  }

  async endAttempt(id: string, n: number): Promise<void> {
    await this.noteAttempt(id, 'ended', n);
  }

  /** Adds attempt `n` to one of the message's two sets, and answers the record as it is then. */
  private async noteAttempt(id: string, set: 'begun' | 'ended', n: number): Promise<Record<string, unknown> | undefined> {
    const result = await dynamo('note a delivery attempt', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `attempts#${id}` },
          UpdateExpression: `ADD ${set} :n SET expiresAt = :expiresAt`,
          ExpressionAttributeValues: { ':n': new Set([n]), ':expiresAt': epochSeconds(this.now()) + this.ttlSeconds },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result.Attributes;
  }

  /**
   * Ends every live lease: the claims become a dead attempt's, taken over (as
   * such) by the next attempt at once. Only for a process that knows every
   * holder died with the one before it (`npm start` at start-up, the single
   * user of its data); never in Lambda, where other containers hold claims.
   * Returns how many it ended. A scan: the local table is small.
   */
  async endLeasesOfTheDead(): Promise<number> {
    let ended = 0;
    const pages = paginateScan(
      { client: this.client },
      { TableName: this.tableName, FilterExpression: '#state = :pending AND attribute_exists(leaseExpiresAt)', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':pending': 'pending' }, ProjectionExpression: 'pk' },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const lapsed = await conditionally('end a dead lease', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: item.pk as string },
              UpdateExpression: 'SET leaseExpiresAt = :zero',
              ConditionExpression: '#state = :pending',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':pending': 'pending', ':zero': 0 },
            }),
          ),
        );
        if (lapsed) ended += 1;
      }
    }
    return ended;
  }

  /** Where a delivery stands: undefined when there is no record of it (never tried, or its record has expired). */
  async stateOf(key: string): Promise<'pending' | 'released' | 'done' | undefined> {
    const record = await this.read(key);
    return record && record.expiresAt > epochSeconds(this.now()) ? record.state : undefined;
  }

  private async read(key: string): Promise<{ state: 'pending' | 'released' | 'done'; expiresAt: number } | undefined> {
    const result = await dynamo('read delivery claim', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true })),
    );
    return result.Item as { state: 'pending' | 'released' | 'done'; expiresAt: number } | undefined;
  }
}

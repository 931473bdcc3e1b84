import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, dynamo, epochSeconds } from './dynamo';

/**
 * At-most-once bookkeeping for deliveries that a sender may repeat (Slack's
 * retries and re-sent events, Botpress resending a customer message).
 *
 * A delivery is guarded by one or more keys (e.g. the Slack event id and the
 * message's channel:ts). `claim` writes a pending record for every key with a
 * conditional put; whoever claims all keys does the work, then `settle`s (done:
 * later attempts are duplicates) or `release`s (failed: the sender's retry may
 * claim again). A pending record whose holder died is taken over once its lease
 * has passed, so a crash cannot block a delivery forever.
 *
 *   attempt 1: claim ✓ ── POST fails ── release
 *   attempt 2 (retry):      claim ✓ ── POST ok ── settle
 *   attempt 3 (late retry):                         claim ✗ done → duplicate
 */
export type ClaimResult =
  | { readonly status: 'claimed'; readonly token: string }
  /** Another attempt finished this delivery. */
  | { readonly status: 'duplicate' }
  /** Another attempt holds a live claim right now. */
  | { readonly status: 'in_flight' };

export type SettledOutcome = 'delivered' | 'notified' | 'failed';

export interface DeliveryLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a settled record keeps answering "duplicate"; beyond every sender's retry window. */
  readonly ttlSeconds?: number;
  /** Longer than the function's timeout, so that only a dead attempt's claim is ever taken over. */
  readonly leaseMs?: number;
  readonly now?: () => number;
}

export const dedupeKey = (...parts: string[]): string => `dedupe#${parts.join('#')}`;

export class DeliveryLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(options: DeliveryLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? 24 * 3600;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  /** Claims every key or none: a partial claim is released before answering. */
  async claim(keys: readonly string[]): Promise<ClaimResult> {
    const token = randomUUID();
    const results = await Promise.all(keys.map(async (key) => ({ key, claimed: await this.claimOne(key, token) })));
    const lost = results.filter((result) => !result.claimed);
    if (lost.length === 0) return { status: 'claimed', token };

    await this.release(
      results.filter((result) => result.claimed).map((result) => result.key),
      token,
    );
    const holders = await Promise.all(lost.map((result) => this.read(result.key)));
    // A key that vanished between the failed put and this read was released by its holder: the sender's retry will claim it.
    return holders.some((holder) => holder?.state === 'done') ? { status: 'duplicate' } : { status: 'in_flight' };
  }

  async settle(keys: readonly string[], token: string, outcome: SettledOutcome): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        conditionally('settle delivery', () =>
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
        ),
      ),
    );
  }

  /** Frees keys this token holds; a key taken over by another attempt is left alone. */
  async release(keys: readonly string[], token: string): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        conditionally('release delivery claim', () =>
          this.client.send(
            new DeleteCommand({
              TableName: this.tableName,
              Key: { pk: key },
              ConditionExpression: 'claimToken = :token',
              ExpressionAttributeValues: { ':token': token },
            }),
          ),
        ),
      ),
    );
  }

  private async claimOne(key: string, token: string): Promise<boolean> {
    const nowMs = this.now();
    return conditionally('claim delivery', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: key,
            state: 'pending',
            claimToken: token,
            leaseExpiresAt: nowMs + this.leaseMs,
            expiresAt: epochSeconds(nowMs) + this.ttlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowS OR (#state = :pending AND leaseExpiresAt <= :nowMs)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':nowS': epochSeconds(nowMs), ':nowMs': nowMs, ':pending': 'pending' },
        }),
      ),
    );
  }

  private async read(key: string): Promise<{ state: 'pending' | 'done' } | undefined> {
    const result = await dynamo('read delivery claim', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true })),
    );
    return result.Item as { state: 'pending' | 'done' } | undefined;
  }
}

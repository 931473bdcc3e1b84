import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SECRETS, SETTINGS } from '../../shared/settings';

/*
 * The Slack path's job, written plainly with nothing but @aws-sdk/lib-dynamodb
 * and fetch, for the two benchmark references (never used by the Lambdas).
 * It does the same I/O as the bridge, so that a comparison measures framework
 * and code overhead rather than different amounts of work: claim the event and
 * the message for exactly-once delivery while looking up the thread, read the
 * handoff, POST to Botpress, mark the claim done. It reads the bridge's items
 * (`thread#…`, `conversation#…`) but keeps its claims under its own prefix.
 */
export interface ThreadReply {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string;
  readonly user: string;
  readonly text: string;
}

export function createRelayJob(prefix: string) {
  const table = process.env[SETTINGS.tableName.env]!;
  const endpoint = process.env[SETTINGS.dynamodbEndpoint.env];
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient(endpoint ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  );
  const webhookUrl = process.env[SECRETS.botpressWebhookUrl.env]!;
  const webhookSecret = process.env[SECRETS.botpressWebhookSecret.env]!;

  const claim = async (pk: string, token: string, now: number): Promise<boolean> => {
    try {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: { pk, state: 'pending', claimToken: token, leaseExpiresAt: now + 15_000, expiresAt: Math.floor(now / 1000) + 86_400 },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :s OR (#st = :p AND leaseExpiresAt <= :ms)',
          ExpressionAttributeNames: { '#st': 'state' },
          ExpressionAttributeValues: { ':s': Math.floor(now / 1000), ':ms': now, ':p': 'pending' },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  };

  return async function relay(reply: ThreadReply): Promise<'forwarded' | 'duplicate' | 'not_connected'> {
    const now = Date.now();
    const token = randomUUID();
    const key = `${prefix}#msg#${reply.channel}:${reply.ts}`;
    const [claimed, pointer] = await Promise.all([
      claim(key, token, now),
      db.send(new GetCommand({ TableName: table, Key: { pk: `thread#${reply.channel}_${reply.threadTs}` }, ConsistentRead: true })),
    ]);
    if (!claimed) return 'duplicate';
    const conversationId = pointer.Item?.conversationId as string | undefined;
    const handoff = conversationId
      ? (await db.send(new GetCommand({ TableName: table, Key: { pk: `conversation#${conversationId}` }, ConsistentRead: true }))).Item
      : undefined;
    if (!handoff || handoff.state !== 'open' || handoff.threadTs !== reply.threadTs) return 'not_connected';

    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bp-secret': webhookSecret },
      body: JSON.stringify({ type: 'agent_message', text: reply.text, userId: reply.user, channelId: reply.channel, threadTs: reply.threadTs, conversationId, messageTs: reply.ts }),
      signal: AbortSignal.timeout(1_500),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`botpress answered ${response.status}`);
    await db.send(
      new UpdateCommand({ TableName: table, Key: { pk: key }, UpdateExpression: 'SET #st = :done', ExpressionAttributeNames: { '#st': 'state' }, ExpressionAttributeValues: { ':done': 'done' } }),
    );
    return 'forwarded';
  };
}

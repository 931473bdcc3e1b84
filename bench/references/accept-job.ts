import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SETTINGS } from '../../shared/platform/settings';

/*
 * The Slack path's job, written plainly with nothing but @aws-sdk/lib-dynamodb
 * and @aws-sdk/client-sqs, for the two benchmark references (never used by the
 * Lambdas). It does the same I/O as the bridge, so that a comparison measures
 * framework and code overhead rather than different amounts of work: look the
 * thread up (its pointer, then the handoff), and put the reply on the FIFO
 * queue in the conversation's group, deduplicated by the message's channel:ts.
 * It reads the bridge's items (`thread#…`, `conversation#…`).
 */
export interface ThreadReply {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string;
  readonly user: string;
  readonly text: string;
}

export function createAcceptJob(reference: string) {
  const table = process.env[SETTINGS.tableName.env]!;
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const dynamodbEndpoint = process.env[SETTINGS.dynamodbEndpoint.env];
  const sqsEndpoint = process.env[SETTINGS.sqsEndpoint.env];
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(dynamodbEndpoint ? { endpoint: dynamodbEndpoint, ...local } : {}));
  const sqs = new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint, ...local } : {});
  const queueUrl = process.env[SETTINGS.deliveryQueueUrl.env]!;

  return async function accept(reply: ThreadReply): Promise<'queued' | 'not_connected'> {
    const pointer = await db.send(new GetCommand({ TableName: table, Key: { pk: `thread#${reply.channel}_${reply.threadTs}` }, ConsistentRead: true }));
    const conversationId = pointer.Item?.conversationId as string | undefined;
    const handoff = conversationId
      ? (await db.send(new GetCommand({ TableName: table, Key: { pk: `conversation#${conversationId}` }, ConsistentRead: true }))).Item
      : undefined;
    if (!handoff || handoff.state !== 'open' || handoff.threadTs !== reply.threadTs) return 'not_connected';
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ kind: 'agent-reply', reference, conversationId, reply }),
        MessageGroupId: `${reference}/${conversationId}`,
        MessageDeduplicationId: `${reference}/${reply.channel}:${reply.ts}`,
      }),
    );
    return 'queued';
  };
}

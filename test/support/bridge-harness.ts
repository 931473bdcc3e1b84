import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { vi } from 'vitest';
import { DELIVERY_QUEUE, REMINDER_QUEUE, FUNCTION_SIZING, LAMBDA_FUNCTIONS, type LambdaFunctionName } from '../../infra/bundling';
import { lambdaContext } from '../../local/lambda-context';
import { ensureDeliveryQueues, startEmbeddedSqs, type DeliveryQueues, type EmbeddedSqs } from '../../local/embedded-sqs';
import { startEmbeddedS3, type EmbeddedS3 } from '../../local/embedded-s3';
import { drainQueue } from '../../local/event-source';
import { createSqsClient } from '../../shared/aws/sqs-queue';
import type { HttpResponse } from '../../shared/platform/http';
import { secretsEnvironment, settingsEnvironment } from '../../shared/platform/settings';
import { ThreadStore } from '../../shared/aws/handoff-store';
import { startBotpressStandIn, type BotpressStandIn } from './botpress-stand-in';
import { startLocalDynamo, type LocalDynamo } from './dynalite';
import { SIGNING_SECRET } from './slack-requests';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';

export const BOT_TOKEN = 'xoxb-test-bot-token-do-not-log';
export const BOTPRESS_SECRET = 'bp-webhook-secret-do-not-log';
export const BRIDGE_TOKEN = 'bridge-api-token-do-not-log';
export const BOTPRESS_SIGNING_SECRET = 'bp-signing-secret-do-not-log';
export const SUPPORT_CHANNEL_ID = 'C0SUPPORT1';
export const FILE_BUCKET = 'bridge-test-files';
/** What links to agents' files start with: the API's URL in AWS; tests call the handler with the path. */
export const PUBLIC_URL = 'https://bridge.test';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

export interface BridgeHarness {
  readonly dynamo: LocalDynamo;
  readonly slack: SlackStandIn;
  readonly botpress: BotpressStandIn;
  readonly store: ThreadStore;
  readonly sqs: EmbeddedSqs;
  readonly queues: DeliveryQueues;
  readonly s3: EmbeddedS3;
  /** Loads a function's real handler module, fresh, with the harness's environment. */
  loadHandler(path: string): Promise<HttpHandler>;
  /**
   * Runs the real delivery function, as Lambda's event source would, over what
   * the queue holds that is visible now, until nothing is: a message waiting out
   * its retry delay stays for a later call. Resolves with the invocations made.
   */
  runDeliveries(): Promise<number>;
  /** Hands the reminders due now to the delivery function, as the reminder queue's event source does; returns how many it took. */
  runReminders(): Promise<number>;
  /** The bodies in the delivery queue and in its dead-letter queue. */
  queued(): { readonly deliveries: readonly string[]; readonly deadLetters: readonly string[] };
  close(): Promise<void>;
}

type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Everything a function needs, on loopback: a DynamoDB-API server with the
 * table, and stand-ins for the Slack Web API and the Botpress webhook. The
 * settings reach the handler through the environment, as in a deployment.
 */
export async function startBridgeHarness(): Promise<BridgeHarness> {
  const [dynamo, slack, botpress, sqs, s3] = await Promise.all([
    startLocalDynamo(),
    startSlackStandIn(),
    startBotpressStandIn(),
    startEmbeddedSqs(),
    startEmbeddedS3({ buckets: [FILE_BUCKET] }),
  ]);
  const sqsClient = createSqsClient({ endpoint: sqs.endpoint });
  const queues = await ensureDeliveryQueues(sqsClient, dynamo.tableName);
  const env = {
    ...settingsEnvironment({
      tableName: dynamo.tableName,
      dynamodbEndpoint: dynamo.endpoint,
      slackApiUrl: slack.apiUrl,
      supportChannelId: SUPPORT_CHANNEL_ID,
      sqsEndpoint: sqs.endpoint,
      deliveryQueueUrl: queues.deliveries.url,
      deadLetterQueueUrl: queues.deadLetters.url,
      reminderQueueUrl: queues.reminders.url,
      fileBucket: FILE_BUCKET,
      s3Endpoint: s3.endpoint,
      publicUrl: PUBLIC_URL,
    }),
    ...secretsEnvironment({
      slackSigningSecret: SIGNING_SECRET,
      slackBotToken: BOT_TOKEN,
      botpressWebhookUrl: `${botpress.url}/webhook/abc`,
      botpressWebhookSecret: BOTPRESS_SECRET,
      botpressSigningSecret: BOTPRESS_SIGNING_SECRET,
      bridgeApiToken: BRIDGE_TOKEN,
    }),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const store = new ThreadStore({ client: dynamo.documentClient, tableName: dynamo.tableName, ttlSeconds: 7 * 24 * 3600 });
  let delivery: Promise<QueueHandler> | undefined;
  /** What a queue holds now, through the delivery function, as its event source mapping would hand it over. */
  const drainWithDelivery = async (queue: { readonly url: string; readonly arn: string }, batchSize: number): Promise<number> => {
    delivery ??= (import('../../functions/delivery/handler') as Promise<{ handler: QueueHandler }>).then((module) => module.handler);
    return drainQueue({
      client: sqsClient,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: await delivery,
      timeoutMs: FUNCTION_SIZING.delivery.timeoutSeconds * 1000,
      batchSize,
      onError: (error) => {
        throw error;
      },
    });
  };
  const nameOf = (url: string) => url.split('/').at(-1)!;

  return {
    dynamo,
    slack,
    botpress,
    store,
    sqs,
    queues,
    s3,
    loadHandler: async (path) => {
      vi.resetModules();
      const module = (await import(path)) as { handler: Handler };
      const name = (Object.keys(LAMBDA_FUNCTIONS) as LambdaFunctionName[]).find((candidate) => path.includes(`/${candidate}/`)) ?? 'slack-events';
      return (event) => module.handler(event, lambdaContext(name));
    },
    runDeliveries: () => drainWithDelivery(queues.deliveries, DELIVERY_QUEUE.batchSize),
    runReminders: () => drainWithDelivery(queues.reminders, REMINDER_QUEUE.batchSize),
    queued: () => ({
      deliveries: sqs.messages(nameOf(queues.deliveries.url)).map((message) => message.body),
      deadLetters: sqs.messages(nameOf(queues.deadLetters.url)).map((message) => message.body),
    }),
    close: async () => {
      vi.unstubAllEnvs();
      sqsClient.destroy();
      await Promise.all([dynamo.close(), slack.close(), botpress.close(), sqs.close(), s3.close()]);
    },
  };
}

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

/**
 * The harness with the two HTTP functions loaded, after `env` is set: each
 * function reads its settings once, when it loads, as in Lambda.
 */
export async function startHttpBridge(env: Record<string, string> = {}): Promise<{ bridge: BridgeHarness; slackHandler: HttpHandler; botpressHandler: HttpHandler }> {
  const bridge = await startBridgeHarness();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const botpressHandler = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
  const slackHandler = await bridge.loadHandler('../../functions/slack-events/handler');
  return { bridge, slackHandler, botpressHandler };
}

/** Opens a handoff directly in the store, as the Botpress-callbacks function would. */
export async function seedHandoff(
  store: ThreadStore,
  conversationId: string,
  threadTs: string,
  channelId = SUPPORT_CHANNEL_ID,
): Promise<void> {
  const reservation = await store.reserve(conversationId, { botpressUserId: `user-of-${conversationId}`, customerName: 'Jane Customer', summary: 'Customer wants a refund for order 1234.' }, 10_000);
  if (!reservation.reserved) throw new Error(`conversation ${conversationId} is already open`);
  await store.activate(conversationId, reservation.token, { channelId, threadTs });
}

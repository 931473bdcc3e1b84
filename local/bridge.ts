import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DELIVERY_QUEUE, FUNCTION_SIZING, REMINDER_QUEUE, type HttpFunctionName } from '../infra/bundling';
import { lambdaContext } from './lambda-context';
import { apartFromOthers } from '../shared/platform/logger';
import { FILE_ROUTE, ROUTES } from '../infra/routes';
import { DeliveryLedger } from '../shared/aws/delivery-ledger';
import { createDocumentClient } from '../shared/aws/dynamo';
import { createSqsClient } from '../shared/aws/sqs-queue';
import type { HttpResponse } from '../shared/platform/http';
import { settingsEnvironment } from '../shared/platform/settings';
import { readBody, toApiGatewayEvent, writeResponse } from './api-gateway-adapter';
import type { LocalBridgeConfig } from './config';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { startEmbeddedS3, type EmbeddedS3 } from './embedded-s3';
import { SETTINGS } from '../shared/platform/settings';
import { ensureDeliveryQueues, startEmbeddedSqs, type EmbeddedSqs } from './embedded-sqs';
import { startSqsEventSource } from './event-source';
import { healthChecks } from './health';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;
type Invoked = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

/** A function's handler as Lambda invokes it, with a context of its own each time. */
const invoked = (name: HttpFunctionName, handler: Handler): Invoked => (event) => apartFromOthers(() => handler(event, lambdaContext(name)));
type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Serves a request that is not one of the bridge's routes; returns false to let it 404. */
export type ExtraRoutes = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

/** Above the event source's long-poll wait (1 s): a receive cut off by its client would leave what it took in flight. */
const POLLING_TIMEOUT_MS = 5_000;

/** How long a shutdown waits for the requests and deliveries under way before it cuts them off. */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface LocalBridge {
  readonly url: string;
  readonly server: Server;
  /** Settles when an embedded service cannot be kept running: `npm start` then stops, non-zero, naming it. */
  readonly failed: Promise<Error>;
  /** The embedded DynamoDB's process now, when there is one. */
  embeddedDynamoPid(): number | undefined;
  /** Stops accepting, lets the requests and deliveries under way finish (up to SHUTDOWN_GRACE_MS), then stops. */
  close(): Promise<void>;
}

/**
 * Serves the very same Lambda handlers over HTTP, on the routes API Gateway
 * gives them in AWS, with the delivery queue between them and the delivery
 * function as in AWS: an embedded SQS-API server (its messages kept in the
 * data folder, so that what was acknowledged survives a restart) and a
 * poller playing Lambda's event source. The handlers read their settings from
 * process.env at import, as in Lambda, so the environment is set first.
 */
export async function startLocalBridge(config: LocalBridgeConfig, extraRoutes?: ExtraRoutes): Promise<LocalBridge> {
  let embeddedDynamo: EmbeddedDynamo | undefined;
  let embeddedSqs: EmbeddedSqs | undefined;
  let embeddedS3: EmbeddedS3 | undefined;
  let fail!: (error: Error) => void;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  const supervision = { onRestart: (message: string) => console.error(message), onGiveUp: fail };
  const dynamodbEndpoint = config.dynamodbEndpoint ?? (embeddedDynamo = await startEmbeddedDynamo({ path: config.dataDir, ownProcess: true, supervision })).endpoint;
  const sqsEndpoint = config.sqsEndpoint ?? (embeddedSqs = await startEmbeddedSqs({ dataFile: path.join(config.dataDir, 'sqs.json'), releaseHeld: true })).endpoint;
  const s3Endpoint = config.s3Endpoint ?? (embeddedS3 = await startEmbeddedS3({ buckets: [config.fileBucket], directory: path.join(config.dataDir, 's3') })).endpoint;
  await ensureTable(dynamodbEndpoint, config.tableName);
  if (embeddedDynamo) {
    // Whatever a delivery held when the last run was killed, nobody holds now: its next attempt takes it over at once
    // (looking first whether its post was made) rather than after the lease. As the queue gives back what it held.
    const ended = await new DeliveryLedger({ client: createDocumentClient({ endpoint: dynamodbEndpoint }), tableName: config.tableName }).endLeasesOfTheDead();
    if (ended > 0) console.warn(`${ended} delivery claim(s) of the last run, which stopped without finishing them, are free again.`);
  }
  const sqs = createSqsClient({ endpoint: sqsEndpoint });
  // Lambda's poller, not the functions' client: its receives wait for messages (long polling) past the functions' 1 s bound.
  // The embedded queue it calls in-process, as Lambda's pollers cost the functions nothing in AWS.
  const pollingClient = embeddedSqs ? undefined : createSqsClient({ endpoint: sqsEndpoint, requestTimeoutMs: POLLING_TIMEOUT_MS });
  const giveUpMinutes = Number(config.functionEnv[SETTINGS.deliveryGiveUpMinutes.env] ?? SETTINGS.deliveryGiveUpMinutes.default);
  const queues = await ensureDeliveryQueues(sqs, config.tableName, giveUpMinutes * 60_000);
  const health = healthChecks({ dynamodbEndpoint, tableName: config.tableName, sqsEndpoint, queueUrl: queues.deliveries.url, s3Endpoint, bucket: config.fileBucket });

  // Listening first: the links to agents' files start with this address unless a tunnel's is set, and the handlers
  // read their settings at import. Requests that come meanwhile wait for them.
  let handlersReady!: (value: Handlers) => void;
  const handlers = new Promise<Handlers>((resolve) => (handlersReady = resolve));
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method === 'GET' && url.pathname === '/healthz') {
        // Each service the bridge writes to, so that a supervisor sees which one is down, not merely that the process runs.
        const report = await health.check();
        return writeResponse(response, { statusCode: report.healthy ? 200 : 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify(report.services) });
      }
      const { byRoute, files } = await handlers;
      const handler = byRoute.get(`${request.method} ${url.pathname}`) ?? (request.method === 'GET' && url.pathname.startsWith(FILE_ROUTE.prefix) ? files : undefined);
      if (!handler && (await extraRoutes?.(request, response, url))) return;
      if (!handler) return writeResponse(response, { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not_found"}' });
      const event = toApiGatewayEvent(request, await readBody(request));
      writeResponse(response, await handler(event));
    })().catch((error: unknown) => {
      // The handlers answer every error themselves; this is the adapter failing (e.g. a body over 1 MiB).
      if (!response.headersSent) writeResponse(response, { statusCode: 400, body: String(error instanceof Error ? error.message : error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  Object.assign(
    process.env,
    config.functionEnv,
    settingsEnvironment({
      dynamodbEndpoint,
      sqsEndpoint,
      s3Endpoint,
      fileBucket: config.fileBucket,
      publicUrl: config.publicUrl ?? url,
      deliveryQueueUrl: queues.deliveries.url,
      deadLetterQueueUrl: queues.deadLetters.url,
      reminderQueueUrl: queues.reminders.url,
    }),
  );
  const [slack, botpress, delivery] = await Promise.all([
    import('../functions/slack-events/handler') as Promise<{ handler: Handler }>,
    import('../functions/botpress-callbacks/handler') as Promise<{ handler: Handler }>,
    import('../functions/delivery/handler') as Promise<{ handler: QueueHandler }>,
  ]);
  handlersReady({
    byRoute: new Map<string, Invoked>([
      ...ROUTES['slack-events'].map((route) => [`POST ${route}`, invoked('slack-events', slack.handler)] as const),
      ...ROUTES['botpress-callbacks'].map((route) => [`POST ${route}`, invoked('botpress-callbacks', botpress.handler)] as const),
    ]),
    files: invoked('botpress-callbacks', botpress.handler),
  });
  // The delivery function on its two queues, as the stack maps it: deliveries, and the reminders' delay queue (due reminders onto the deliveries).
  const deliveryFunctionOn = (queue: { readonly url: string; readonly arn: string }, source: string, options: { readonly batchSize: number; readonly concurrency?: number }) =>
    startSqsEventSource({
      client: embeddedSqs?.pollerApi ?? pollingClient!,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: delivery.handler,
      timeoutMs: FUNCTION_SIZING.delivery.timeoutSeconds * 1000,
      ...options,
      onError: (error) => console.error(`delivery function invocation (${source}) failed:`, error),
    });
  // Four pollers, not the stack's five concurrent deliveries: here they share one event loop, where a fifth adds no
  // capacity, and with five the busy day's cards waited longer (bench/README.md, busy days).
  const deliveries = deliveryFunctionOn(queues.deliveries, 'deliveries', { batchSize: DELIVERY_QUEUE.batchSize });
  const reminders = deliveryFunctionOn(queues.reminders, 'reminders', { batchSize: REMINDER_QUEUE.batchSize, concurrency: 1 });

  return {
    url,
    server,
    failed,
    embeddedDynamoPid: () => embeddedDynamo?.pid,
    close: async () => {
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      // Requests first (they may queue deliveries), then the deliveries under way, then what they write to.
      await drainHttp(server, deadline);
      await untilDeadline(Promise.all([deliveries.stop(), reminders.stop()]).then(() => undefined), deadline);
      sqs.destroy();
      pollingClient?.destroy();
      health.close();
      await embeddedSqs?.close();
      await embeddedS3?.close();
      await embeddedDynamo?.close();
    },
  };
}

interface Handlers {
  readonly byRoute: ReadonlyMap<string, Invoked>;
  /** The handler of FILE_ROUTE: every GET under its prefix. */
  readonly files: Invoked;
}

/** Stops accepting connections and waits for the requests in flight; kept-alive connections close once idle. */
async function drainHttp(server: Server, deadline: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idleCloser = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  await untilDeadline(closed, deadline);
  clearInterval(idleCloser);
  server.closeAllConnections();
  await closed;
}

/** Waits for the work, or for the deadline, whichever comes first. */
async function untilDeadline(work: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(deadline - Date.now(), 0))))]);
  clearTimeout(timer);
}

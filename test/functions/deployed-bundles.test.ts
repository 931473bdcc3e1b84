import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../infra/build';
import { FUNCTION_SIZING, LAMBDA_FUNCTIONS, type LambdaFunctionName } from '../../infra/bundling';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embedded-dynamo';
import { ensureDeliveryQueues, startEmbeddedSqs, type EmbeddedSqs } from '../../local/embedded-sqs';
import { drainQueue } from '../../local/event-source';
import { createSqsClient } from '../../shared/aws/sqs-queue';
import type { HttpResponse } from '../../shared/platform/http';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../shared/platform/metric-names';
import { settingsEnvironment } from '../../shared/platform/settings';
import { eventCallback, threadReply } from '../fixtures/slack-events';
import { startBotpressStandIn, type BotpressStandIn } from '../support/botpress-stand-in';
import { BOT_TOKEN, BOTPRESS_SECRET, BRIDGE_TOKEN, SUPPORT_CHANNEL_ID } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { startHttpStandIn, type RecordedRequest, type StandIn } from '../../local/http-stand-in';
import { LAMBDA_NODE_MAJOR, lambdaNodeBinary } from '../support/lambda-node';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { SIGNING_SECRET, signedSlackRequest } from '../support/slack-requests';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';

/*
 * The production bundles, built as the CDK stack builds them, run the way
 * Lambda runs them: plain node of Lambda's version, settings from the stack's
 * environment variables, the secrets read from (a stand-in for) Secrets
 * Manager, and AWS credentials only in the environment, where Lambda puts the
 * role's. The bundles resolve credentials with infra/shims/aws-credentials.ts
 * instead of the SDK's full provider chain; this is where that is proved to work.
 */

const REGION = 'eu-west-1';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:bridge-secret-AbCdEf`;
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'ASIADEPLOYEDTEST0001',
  AWS_SECRET_ACCESS_KEY: 'deployed-test-secret-access-key-do-not-log',
  AWS_SESSION_TOKEN: 'deployed-test-session-token-do-not-log',
};
const TABLE_NAME = 'bridge-deployed';

interface LambdaProcess {
  /** Node's own modules loaded by the time the bundle was (process.moduleLoadList). */
  readonly builtinsAtInit: readonly string[];
  invoke<T = HttpResponse>(event: APIGatewayProxyEventV2 | SQSEvent): Promise<T>;
  /** Everything the function wrote to stdout and stderr: its logs and metrics. */
  output(): string;
  stop(): void;
}

/** Lambda's Node.js version (test/support/lambda-node.ts), or the node binary LAMBDA_NODE names. */
let lambdaNode: string;

/** One function's execution environment: a fresh node process that loaded the bundle (test/support/lambda-runner.mjs). */
async function startLambda(bundle: string, name: LambdaFunctionName, env: Record<string, string>): Promise<LambdaProcess> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, '../support/lambda-runner.mjs'), [], {
    execPath: lambdaNode,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '', LAMBDA_BUNDLE: bundle, AWS_LAMBDA_FUNCTION_NAME: name, LAMBDA_TIMEOUT_MS: String(FUNCTION_SIZING[name].timeoutSeconds * 1000), ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const nextMessage = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${name} exited with ${code}:\n${output}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as Record<string, unknown>);
      });
    });
  const { builtins } = (await nextMessage()) as { builtins: string[] };
  return {
    builtinsAtInit: builtins,
    invoke: async (event) => {
      const answer = nextMessage();
      child.send(event);
      const message = await answer;
      if ('thrown' in message) throw new Error(`${name} threw: ${String(message.thrown)}`);
      return message.response as never;
    },
    output: () => output,
    stop: () => child.kill(),
  };
}

/** Passes AWS calls through to a local server (dynalite, the embedded SQS), recording how each was signed. */
async function startRecordingProxy(target: string): Promise<StandIn & { requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = await startHttpStandIn(async (request, res) => {
    requests.push(request);
    const forwarded = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)),
    ) as Record<string, string>;
    const upstream = await fetch(`${target}${request.path}`, { method: request.method, headers: forwarded, body: request.rawBody });
    for (const name of ['content-type', 'x-amz-crc32', 'x-amzn-requestid', 'x-amzn-query-error']) {
      const value = upstream.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    res.statusCode = upstream.status;
    res.end(await upstream.text());
  });
  return { ...server, requests };
}

/** The credential scope of a SigV4 Authorization header: access key id, region and service. */
const signedAs = (request: RecordedRequest) => {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '');
  return { keyId: match?.[1], region: match?.[2], service: match?.[3], sessionToken: request.headers['x-amz-security-token'] };
};

describe('the production bundles, deployed', () => {
  let bundles: Record<LambdaFunctionName, string>;
  let dynalite: EmbeddedDynamo;
  let dynamoProxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let secretsManager: SecretsManagerStandIn;
  let slack: SlackStandIn;
  let botpress: BotpressStandIn;
  let sqs: EmbeddedSqs;
  let sqsProxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let queueUrls: { deliveries: string; deadLetters: string; reminders: string };
  let lambdaEnv: Record<string, string>;
  const running: LambdaProcess[] = [];

  beforeAll(async () => {
    lambdaNode = process.env.LAMBDA_NODE ?? lambdaNodeBinary();
    bundles = await buildFunctions(mkdtempSync(path.join(tmpdir(), 'deployed-bundles-')));
    [dynalite, slack, botpress, sqs] = await Promise.all([startEmbeddedDynamo(), startSlackStandIn(), startBotpressStandIn(), startEmbeddedSqs()]);
    await ensureTable(dynalite.endpoint, TABLE_NAME);
    dynamoProxy = await startRecordingProxy(dynalite.endpoint);
    sqsProxy = await startRecordingProxy(sqs.endpoint);
    const queueClient = createSqsClient({ endpoint: sqs.endpoint });
    const queues = await ensureDeliveryQueues(queueClient, 'BotpressSlackHitl');
    queueClient.destroy();
    // As the stack's outputs name them, on the proxy: the SDK sends a call to its queue URL's host.
    const onProxy = (url: string) => `${sqsProxy.url}/123456789012/${url.split('/').at(-1)!}`;
    queueUrls = { deliveries: onProxy(queues.deliveries.url), deadLetters: onProxy(queues.deadLetters.url), reminders: onProxy(queues.reminders.url) };
    secretsManager = await startSecretsManagerStandIn({
      [SECRET_ARN]: JSON.stringify({
        slackSigningSecret: SIGNING_SECRET,
        slackBotToken: BOT_TOKEN,
        botpressWebhookUrl: `${botpress.url}/webhook/abc`,
        botpressWebhookSecret: BOTPRESS_SECRET,
        botpressSigningSecret: 'bp-signing-secret',
        bridgeApiToken: BRIDGE_TOKEN,
      }),
    });
    lambdaEnv = {
      // What the stack sets (infra/stack.ts)…
      ...settingsEnvironment({
        tableName: TABLE_NAME,
        secretId: SECRET_ARN,
        supportChannelId: SUPPORT_CHANNEL_ID,
        mappingTtlHours: '168',
        deliveryQueueUrl: queueUrls.deliveries,
        deadLetterQueueUrl: queueUrls.deadLetters,
        reminderQueueUrl: queueUrls.reminders,
        handoffReminderMinutes: '5',
        deliveryGiveUpMinutes: '15',
        fileBucket: 'bridge-files',
        fileLinkDays: '7',
        publicUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
        serviceName: METRICS_SERVICE,
        metricsNamespace: METRICS_NAMESPACE,
        logLevel: 'INFO',
      }),
      // …what Lambda sets…
      AWS_REGION: REGION,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${LAMBDA_NODE_MAJOR}.x`,
      ...CREDENTIALS,
      // No shared config or credentials files to fall back on.
      HOME: mkdtempSync(path.join(tmpdir(), 'no-aws-config-')),
      // …and the only differences: AWS and Slack on loopback.
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_ENDPOINT_URL_SQS: sqsProxy.url,
      ...settingsEnvironment({ slackApiUrl: slack.apiUrl }),
    };
  }, 120_000);

  afterAll(async () => {
    for (const lambda of running) lambda.stop();
    await Promise.all([dynamoProxy?.close(), sqsProxy?.close(), secretsManager?.close(), slack?.close(), botpress?.close(), sqs?.close()]);
    await dynalite?.close();
  });

  const start = async (name: LambdaFunctionName, env: Record<string, string> = lambdaEnv) => {
    const lambda = await startLambda(bundles[name], name, env);
    running.push(lambda);
    return lambda;
  };

  it('bundle none of the SDK credential chain but the environment variables', () => {
    for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaFunctionName[]) {
      const code = readFileSync(bundles[name], 'utf8');
      // Booleans, not toContain: a failure would print the whole bundle.
      expect(code.includes('@aws-sdk/credential-provider-env'), `${name} bundles the environment provider`).toBe(true);
      for (const provider of ['credential-provider-ini', 'credential-provider-sso', 'credential-provider-process', 'fromInstanceMetadata', 'fromContainerMetadata']) {
        expect(code.includes(provider), `${name} bundles ${provider}`).toBe(false);
      }
    }
  });

  it("load no fetch implementation at init: node:http is not imported statically, whose ESM facade would load undici on Node.js 22 and later", async () => {
    for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaFunctionName[]) {
      const code = readFileSync(bundles[name], 'utf8');
      expect(/\bfrom\s*"(node:)?http"/.test(code), `${name} imports node:http statically`).toBe(false);
      // And on Lambda's Node.js version, that the init loads none of it.
      const lambda = await start(name);
      expect(lambda.builtinsAtInit.filter((module) => /undici|http2|worker_threads/.test(module))).toEqual([]);
    }
  });

  it('open a handoff, queue the agent reply and deliver it, with the secret read from Secrets Manager and every AWS call signed with the environment credentials', async () => {
    const [callbacks, events, delivery] = await Promise.all([start('botpress-callbacks'), start('slack-events'), start('delivery')]);
    // Lambda's event source, feeding the delivery function's process from the queue.
    const pollingClient = createSqsClient({ endpoint: sqs.endpoint, requestTimeoutMs: 5_000 });
    const runDeliveries = () =>
      drainQueue({
        client: pollingClient,
        queueUrl: queueUrls.deliveries,
        queueArn: 'arn:aws:sqs:eu-west-1:123456789012:BotpressSlackHitl-deliveries.fifo',
        handler: (event) => delivery.invoke<SQSBatchResponse>(event),
        timeoutMs: 60_000,
        onError: (error) => {
          throw error;
        },
      });

    const conversationId = `conv-deployed-${Date.now()}`;
    const handoff = await callbacks.invoke(
      botpressRequest('/botpress/handoff', { conversationId, userId: 'bp-user-7', summary: 'Wants to change the delivery address.', customer: { name: 'Ann' } }, BRIDGE_TOKEN),
    );
    expect(handoff.statusCode).toBe(200);
    const [card] = slack.callsTo('chat.postMessage').filter((call) => call.args.channel === SUPPORT_CHANNEL_ID && call.args.thread_ts === undefined);
    expect(card?.token).toBe(BOT_TOKEN);
    const cardTs = JSON.parse(handoff.body ?? '{}') as { threadTs?: string };
    expect(cardTs.threadTs).toMatch(/^\d+\.\d+$/);

    const reply = threadReply('Sure, what is the new address?', { threadTs: cardTs.threadTs, channel: SUPPORT_CHANNEL_ID });
    const relayed = await events.invoke(signedSlackRequest(JSON.stringify(eventCallback(reply))));
    expect(relayed.statusCode).toBe(200);
    expect(botpress.delivered).toHaveLength(0);
    // The transcript-free handoff queued nothing; the reply is the one job.
    expect(await runDeliveries()).toBe(1);
    const delivered = botpress.delivered.at(-1)!;
    expect(delivered.headers['x-bp-secret']).toBe(BOTPRESS_SECRET);
    expect(JSON.parse(delivered.rawBody)).toMatchObject({ text: 'Sure, what is the new address?', channelId: SUPPORT_CHANNEL_ID, threadTs: cardTs.threadTs, conversationId });

    // Each function read the secret once, signed as the role whose credentials Lambda put in its environment.
    expect(secretsManager.requests).toHaveLength(3);
    expect(dynamoProxy.requests.length).toBeGreaterThanOrEqual(4);
    // A reply Botpress refuses for now: the delivery function sets its retry's delay itself.
    botpress.status = 503;
    await events.invoke(signedSlackRequest(JSON.stringify(eventCallback(threadReply('One more thing', { threadTs: cardTs.threadTs, channel: SUPPORT_CHANNEL_ID })))));
    await runDeliveries();
    botpress.status = 200;
    pollingClient.destroy();
    // The retry's log line: its error by its class's name, its stack trace naming the TypeScript sources, not the bundle.
    const retried = delivery.output().split('\n').find((line) => line.includes('delivery failed; will retry'));
    const { error } = JSON.parse(retried ?? '{}') as { error?: { name?: string; stack?: string } };
    expect(error?.name).toBe('DownstreamError');
    expect(error?.stack).toMatch(/\n {4}at \S+ \(shared\/[\w/-]+\.ts:\d+:\d+\)/);
    expect(error?.stack).not.toContain('index.mjs');
    // The functions' own SQS calls (the poller's are Lambda's): the handoff's first reminder (the Botpress function), the Slack
    // function's two sends, the delivery function's delay.
    expect(sqsProxy.requests.map((request) => request.headers['x-amz-target'])).toEqual(['AmazonSQS.SendMessage', 'AmazonSQS.SendMessage', 'AmazonSQS.SendMessage', 'AmazonSQS.ChangeMessageVisibilityBatch']);
    const expected = { keyId: CREDENTIALS.AWS_ACCESS_KEY_ID, region: REGION, sessionToken: CREDENTIALS.AWS_SESSION_TOKEN };
    for (const request of secretsManager.requests) expect(signedAs(request)).toEqual({ ...expected, service: 'secretsmanager' });
    for (const request of dynamoProxy.requests) expect(signedAs(request)).toEqual({ ...expected, service: 'dynamodb' });
    for (const request of sqsProxy.requests) expect(signedAs(request)).toEqual({ ...expected, service: 'sqs' });

    // Nothing secret in what the functions wrote, and no customer or agent text either.
    const output = callbacks.output() + events.output() + delivery.output();
    expect(output).toContain('"level":"INFO"');
    for (const value of [...Object.values(CREDENTIALS), SIGNING_SECRET, BOT_TOKEN, BOTPRESS_SECRET, BRIDGE_TOKEN, 'new address', 'delivery address', 'One more thing']) {
      expect(output).not.toContain(value);
    }
  });

  it('answer 503 when the environment holds no credentials, naming where they were looked for in the log', async () => {
    const withoutCredentials = Object.fromEntries(Object.entries(lambdaEnv).filter(([name]) => !(name in CREDENTIALS)));
    const callbacks = await start('botpress-callbacks', withoutCredentials);
    const before = secretsManager.requests.length;

    const response = await callbacks.invoke(botpressRequest('/botpress/handoff', { conversationId: 'conv-no-credentials', userId: 'bp-user-8', summary: 'x' }, BRIDGE_TOKEN));

    expect(response.statusCode).toBe(503);
    expect(secretsManager.requests.length).toBe(before);
    expect(callbacks.output()).toContain('Unable to find environment variable credentials');
  });
});

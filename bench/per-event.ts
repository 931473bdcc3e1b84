import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { signSlackRequest } from '../shared/platform/hmac';

/*
 * One warm function container: loads one production bundle (or reference) and
 * times its handler, block by block, as bench/run.ts asks over IPC. Each target
 * has a process of its own, as each Lambda function has, so that one target's
 * garbage, timers and JIT state never land on another's figures; run.ts
 * alternates the blocks between the processes so that machine noise falls on
 * all of them alike. stdout is discarded: the functions log and emit metrics
 * as in production, and that cost is part of what is measured.
 */
export interface WorkerConfig {
  readonly bundle: string;
  readonly functionName: string;
  readonly channel: string;
  readonly agent: string;
  readonly botUser: string;
  /** The seeded thread this target's Slack events reply in. */
  readonly threadTs: string;
  /** The seeded conversation customer messages go to. */
  readonly conversationId: string;
  readonly signingSecret: string;
  readonly bridgeToken: string;
  readonly timeoutMs: number;
}

export type Scenario = 'reply' | 'ignored' | 'customer';
export interface BlockRequest {
  readonly scenario: Scenario;
  readonly count: number;
}
export interface BlockResult {
  /** Handler time per event, µs. */
  readonly samples: number[];
  readonly failures: number;
}

type Handler = (event: unknown, context: object) => Promise<{ statusCode: number } | undefined>;
const config = JSON.parse(process.env.BENCH_WORKER!) as WorkerConfig;
const { handler } = (await import(pathToFileURL(config.bundle).href)) as { handler: Handler };

let sequence = 0;
function apiEvent(path: string, body: string, headers: Record<string, string>) {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: { http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0' }, routeKey: `POST ${path}`, stage: '$default', requestId: `r${sequence}`, accountId: 'bench', apiId: 'bench', domainName: 'bench', domainPrefix: 'bench', time: '', timeEpoch: 0 },
    body,
    isBase64Encoded: false,
  };
}

function slackEvent(message: Record<string, unknown>) {
  const body = JSON.stringify({
    token: 'x',
    team_id: 'T061EG9R6',
    api_app_id: 'A0PNCHHK2',
    type: 'event_callback',
    event_id: `EvBENCH${process.pid}x${sequence}`,
    event_time: 1717549400,
    authorizations: [{ team_id: 'T061EG9R6', user_id: config.botUser, is_bot: true }],
    event: { type: 'message', channel: config.channel, channel_type: 'channel', team: 'T061EG9R6', ...message },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  return apiEvent('/slack/events', body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(config.signingSecret, timestamp, body) });
}

// Message ts are unique per process and per event, so that no delivery is ever a duplicate of another.
const messageTs = (base: number) => `${base + sequence}.${String(process.pid % 1_000_000).padStart(6, '0')}`;
const makers: Record<Scenario, () => unknown> = {
  reply: () => {
    const ts = messageTs(1717600000);
    return slackEvent({ user: config.agent, ts, thread_ts: config.threadTs, text: `Reply number ${sequence}, see <https://help.example.com|the guide>`, event_ts: ts });
  },
  ignored: () => {
    const ts = messageTs(1717700000);
    return slackEvent({ user: config.botUser, bot_id: 'B0BRIDGE01', app_id: 'A0PNCHHK2', ts, thread_ts: config.threadTs, text: 'Customer: hello', event_ts: ts });
  },
  customer: () =>
    apiEvent('/botpress/message', JSON.stringify({ conversationId: config.conversationId, text: `Customer message ${sequence}`, messageId: `bench-${process.pid}-${sequence}` }), {
      authorization: `Bearer ${config.bridgeToken}`,
    }),
};

/** What the Lambda runtime passes: with getRemainingTimeInMillis, middleware that arms per-invocation timers does so here too. */
function lambdaContext() {
  const deadline = Date.now() + config.timeoutMs;
  return {
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${config.functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: `bench-${sequence}`,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** Builds the block's events first (Slack signs, not the function), then times only the handler. */
async function runBlock({ scenario, count }: BlockRequest): Promise<BlockResult> {
  const events = Array.from({ length: count }, () => {
    sequence += 1;
    return { event: makers[scenario](), context: lambdaContext() };
  });
  const samples: number[] = [];
  let failures = 0;
  for (const { event, context } of events) {
    const started = performance.now();
    const result = await handler(event, context);
    samples.push((performance.now() - started) * 1000);
    if (result?.statusCode !== 200) failures += 1;
  }
  return { samples, failures };
}

process.on('message', (request: BlockRequest) => {
  void runBlock(request).then((result) => process.send!(result));
});
process.send!({ ready: true });

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { signSlackRequest } from '../shared/slack/signature';

/*
 * Per-event time of the production bundles in one warm process, interleaved
 * target by target so that machine noise falls on all of them alike. Run by
 * bench/run.ts with stdout discarded: the functions log and emit metrics as in
 * production, and that cost is part of what is measured.
 */
interface Config {
  bundles: Record<'slack' | 'botpress' | 'bolt' | 'floor', string>;
  threads: Record<'slack' | 'bolt' | 'floor', string>;
  channel: string;
  agent: string;
  botUser: string;
  conversationId: string;
  signingSecret: string;
  bridgeToken: string;
  iterations: { forward: number; ignore: number; customer: number };
  out: string;
}

type Handler = (event: unknown, context: object) => Promise<{ statusCode: number }>;
const config = JSON.parse(process.env.BENCH_CONFIG!) as Config;
const load = async (file: string) => ((await import(pathToFileURL(file).href)) as { handler: Handler }).handler;
const handlers = {
  slack: await load(config.bundles.slack),
  botpress: await load(config.bundles.botpress),
  bolt: await load(config.bundles.bolt),
  floor: await load(config.bundles.floor),
};

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
  sequence += 1;
  const body = JSON.stringify({
    token: 'x',
    team_id: 'T061EG9R6',
    api_app_id: 'A0PNCHHK2',
    type: 'event_callback',
    event_id: `EvBENCH${sequence}`,
    event_time: 1717549400,
    authorizations: [{ team_id: 'T061EG9R6', user_id: config.botUser, is_bot: true }],
    event: { type: 'message', channel: config.channel, channel_type: 'channel', team: 'T061EG9R6', ...message },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  return apiEvent('/slack/events', body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(config.signingSecret, timestamp, body) });
}

const agentReply = (threadTs: string) => {
  const ts = `${1717600000 + sequence}.${String(sequence).padStart(6, '0')}`;
  return slackEvent({ user: config.agent, ts, thread_ts: threadTs, text: `Reply number ${sequence}, see <https://help.example.com|the guide>`, event_ts: ts });
};
const botEcho = (threadTs: string) => {
  const ts = `${1717700000 + sequence}.${String(sequence).padStart(6, '0')}`;
  return slackEvent({ user: config.botUser, bot_id: 'B0BRIDGE01', app_id: 'A0PNCHHK2', ts, thread_ts: threadTs, text: 'Customer: hello', event_ts: ts });
};
const customerMessage = () => {
  sequence += 1;
  return apiEvent('/botpress/message', JSON.stringify({ conversationId: config.conversationId, text: `Customer message ${sequence}`, messageId: `bench-${sequence}` }), {
    authorization: `Bearer ${config.bridgeToken}`,
  });
};

/** Builds every event first (Slack signs, not the function), then times only the handler. */
async function measure(name: string, count: number, targets: Record<string, { handler: Handler; make: () => unknown }>, warmup: number) {
  const entries = Object.entries(targets);
  const samples: Record<string, number[]> = Object.fromEntries(entries.map(([key]) => [key, []]));
  const failures: Record<string, number> = Object.fromEntries(entries.map(([key]) => [key, 0]));
  for (const [round, total] of [[0, warmup], [1, count]] as const) {
    const events = entries.map(([, target]) => Array.from({ length: total }, () => target.make()));
    for (let i = 0; i < total; i += 1) {
      // Rotate the order each iteration so that no target always runs first.
      for (let j = 0; j < entries.length; j += 1) {
        const index = (i + j) % entries.length;
        const [key, target] = entries[index]!;
        const started = performance.now();
        const result = await target.handler(events[index]![i], {});
        const elapsed = performance.now() - started;
        if (round === 1) {
          samples[key]!.push(elapsed * 1000);
          if (result.statusCode !== 200) failures[key]! += 1;
        }
      }
    }
  }
  return { name, samples, failures };
}

const results = [
  await measure('forwarded', config.iterations.forward, {
    slack: { handler: handlers.slack, make: () => agentReply(config.threads.slack) },
    bolt: { handler: handlers.bolt, make: () => agentReply(config.threads.bolt) },
    floor: { handler: handlers.floor, make: () => agentReply(config.threads.floor) },
  }, Math.min(50, config.iterations.forward)),
  await measure('ignored', config.iterations.ignore, {
    slack: { handler: handlers.slack, make: () => botEcho(config.threads.slack) },
    bolt: { handler: handlers.bolt, make: () => botEcho(config.threads.bolt) },
    floor: { handler: handlers.floor, make: () => botEcho(config.threads.floor) },
  }, Math.min(500, config.iterations.ignore)),
  await measure('customer', config.iterations.customer, { botpress: { handler: handlers.botpress, make: customerMessage } }, Math.min(50, config.iterations.customer)),
];
writeFileSync(config.out, JSON.stringify(results));
process.exit(0);

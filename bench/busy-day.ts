import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/bundling';
import { sendJson, startHttpStandIn } from '../local/http-stand-in';
import { secretsEnvironment, settingsEnvironment } from '../shared/platform/settings';
import { spawnLocalBridge } from '../test/support/local-bridge-process';
import { startSlackStandIn } from '../test/support/slack-stand-in';

/*
 * npm run bench:busy-day [-- --quick]
 * A busy day (issue 26): handoffs arriving at 100 a minute for 3 minutes,
 * over two queues' channels, each followed by two customer messages, through
 * `npm start`'s bridge (its pollers, queue, table and shared pace) against the
 * Slack stand-in paced as Slack paces (one post a second per channel, bursts
 * of three, 429 with Retry-After past it). Reports, per channel, the posts a
 * second achieved against Slack's limit, the time from handoff to card, the
 * Slack calls per handoff, the 429s, the deliveries given up, and whether
 * every conversation's posts are in order. It lasts as long as Slack's pace
 * needs: some 8 minutes for the 900 posts of a full run.
 */
const quick = process.argv.includes('--quick');
const plan = quick ? { handoffsPerMinute: 100, minutes: 0.2 } : { handoffsPerMinute: 100, minutes: 3 };
const CHANNELS = { billing: 'C0DAYBILL1', tech: 'C0DAYTECH1' } as const;
const SLACK_LIMIT_PER_SECOND = 1;
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? Number.NaN;

const slack = await startSlackStandIn();
slack.postLimit = { perSecond: SLACK_LIMIT_PER_SECOND, burst: 3 };
const webhook = await startHttpStandIn((_request, response) => sendJson(response, 200, { ok: true }));
const bridge = await spawnLocalBridge({
  ...settingsEnvironment({
    supportChannelId: CHANNELS.billing,
    queueChannels: `billing=${CHANNELS.billing},tech=${CHANNELS.tech}`,
    slackApiUrl: slack.apiUrl,
    // Slack's pace as deployed (the tests' and the end-to-end run's faster one is not inherited).
    slackPostPace: '',
    handoffReminderMinutes: '0',
    logLevel: 'WARN',
    dataDir: mkdtempSync(path.join(tmpdir(), 'busy-day-')),
    envFile: path.join(tmpdir(), 'busy-day-no-env'),
  }),
  ...secretsEnvironment({
    slackSigningSecret: 'busy-day-signing',
    slackBotToken: 'xoxb-busy-day',
    botpressWebhookUrl: `${webhook.url}/webhook`,
    botpressWebhookSecret: 'busy-day-webhook',
    botpressSigningSecret: 'busy-day-bp-signing',
    bridgeApiToken: 'busy-day-token',
  }),
});
const call = async (route: string, body: Record<string, unknown>) => {
  const response = await fetch(`${bridge.url}/botpress/${route}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer busy-day-token' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
};

const total = Math.round(plan.handoffsPerMinute * plan.minutes);
const intervalMs = 60_000 / plan.handoffsPerMinute;
log(`busy day: ${total} handoffs over ${plan.minutes} min on two channels, each with two customer messages…`);
const opened = new Map<string, { at: number; channel: string }>();
const started = Date.now();
const driving: Promise<void>[] = [];
for (let n = 0; n < total; n += 1) {
  const at = started + n * intervalMs;
  await sleep(Math.max(0, at - Date.now()));
  const queue = n % 2 === 0 ? 'billing' : 'tech';
  const conversationId = `day-${n}`;
  driving.push(
    (async () => {
      opened.set(conversationId, { at: Date.now(), channel: CHANNELS[queue] });
      await call('handoff', { conversationId, userId: 'bp-user', summary: `Busy day ${n}`, queue });
      for (const k of [1, 2]) {
        await sleep(1_000);
        await call('message', { conversationId, text: `${conversationId} writes ${k}`, messageId: `${conversationId}-${k}` });
      }
    })(),
  );
}
await Promise.all(driving);

// Slack's pace decides when the rest arrives: 3 posts a handoff at about one a second per channel.
const posts = () => slack.callsTo('chat.postMessage');
const expected = total * 3;
const deadline = Date.now() + 20 * 60_000;
while (posts().length < expected && Date.now() < deadline) await sleep(1_000);
const output = bridge.output();
await bridge.stop();

// A card's buttons carry its conversation's id as their value.
const cardOf = (conversationId: string) => posts().find((post) => post.args.thread_ts === undefined && JSON.stringify(post.args.blocks ?? '').includes(`"value":"${conversationId}"`));
const perChannel = Object.values(CHANNELS).map((channel) => {
  const inChannel = posts().filter((post) => post.args.channel === channel);
  const seconds = inChannel.length > 1 ? (inChannel.at(-1)!.at - inChannel[0]!.at) / 1000 : Number.NaN;
  return { channel, posts: inChannel.length, postsPerSecond: (inChannel.length - 1) / seconds };
});
const cardTimes = [...opened].flatMap(([conversationId, { at }]) => {
  const card = cardOf(conversationId);
  return card ? [card.at - at] : [];
});
let outOfOrder = 0;
for (const conversationId of opened.keys()) {
  const mine = posts().filter((post) => (typeof post.args.text === 'string' ? post.args.text : '').startsWith(`${conversationId} writes`)).map((post) => String(post.args.text));
  if (mine.join('|') !== `${conversationId} writes 1|${conversationId} writes 2`) outOfOrder += 1;
}
const result = {
  plan,
  handoffs: total,
  postsExpected: expected,
  posts: posts().length,
  perChannel,
  cardsPosted: cardTimes.length,
  handoffToCardMs: { p50: percentile(cardTimes, 50), p95: percentile(cardTimes, 95) },
  slackCallsPerHandoff: slack.calls.length / total,
  rateLimited: slack.rateLimited.length,
  givenUp: output.split('\n').filter((line) => line.includes('"delivery given up"')).length,
  conversationsOutOfOrder: outOfOrder,
};
await Promise.all([slack.close(), webhook.close()]);
const ratio = (value: number) => `${value.toFixed(2)}×`;
process.stdout.write(
  [
    `Busy day: ${total} handoffs at ${plan.handoffsPerMinute} a minute on two channels, two customer messages each, against Slack's pace (${SLACK_LIMIT_PER_SECOND} post a second per channel, bursts of 3).`,
    '',
    '| Channel | Posts | Posts a second vs Slack’s limit (goal ≥ 0.9×) |',
    '| --- | ---: | ---: |',
    ...perChannel.map((channel) => `| ${channel.channel} | ${channel.posts} | ${ratio(channel.postsPerSecond / SLACK_LIMIT_PER_SECOND)} |`),
    '',
    `Posts ${result.posts} of ${expected}; handoff to card p50 / p95 ${(result.handoffToCardMs.p50 / 1000).toFixed(1)} / ${(result.handoffToCardMs.p95 / 1000).toFixed(1)} s (${result.cardsPosted} cards); Slack calls per handoff ${result.slackCallsPerHandoff.toFixed(2)}; 429s from Slack ${result.rateLimited}; deliveries given up ${result.givenUp} (goal 0); conversations out of order ${outOfOrder}.`,
    '',
  ].join('\n'),
);
writeFileSync(path.join(PROJECT_ROOT, 'bench', quick ? 'busy-day-quick.json' : 'busy-day.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);

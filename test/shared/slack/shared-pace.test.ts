import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoSharedPace } from '../../../shared/aws/shared-pace';
import { DownstreamError } from '../../../shared/platform/errors';
import { paceFrom } from '../../../shared/platform/config';
import { nextSlot, paceInMemory, type SharedPace } from '../../../shared/platform/pace';
import { SETTINGS } from '../../../shared/platform/settings';
import { createSlackClient, type SlackClient } from '../../../shared/slack/client';
import { SlackPacer } from '../../../shared/slack/desk';
import { startLocalDynamo, type LocalDynamo } from '../../support/dynalite';
import { startSlackStandIn, type SlackStandIn } from '../../support/slack-stand-in';

/*
 * Slack's pace per channel, kept in DynamoDB and shared by every container:
 * two delivery containers (two pacers, one table) against the Slack stand-in
 * paced as Slack paces (one post a second per channel, short bursts, 429 with
 * Retry-After past it).
 */
let dynamo: LocalDynamo;
let slack: SlackStandIn;
let client: SlackClient;
let channels = 0;

beforeAll(async () => {
  [dynamo, slack] = await Promise.all([startLocalDynamo('pace-test'), startSlackStandIn()]);
  client = await createSlackClient({ token: 'xoxb-pace-test', slackApiUrl: slack.apiUrl });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), slack.close()]);
});
beforeEach(() => {
  slack.calls.length = 0;
  slack.rateLimited.length = 0;
  slack.postLimit = undefined;
});

/** A channel of its own for each test: Slack's buckets and the pace items start fresh. */
const channel = () => `C0PACE${String((channels += 1)).padStart(4, '0')}`;
/** Slack's pace, as the functions read it unless SLACK_POST_PACE says otherwise. */
const SLACK_PACE = paceFrom(SETTINGS.slackPostPace.default);
const containers = (pace: () => SharedPace) => [new SlackPacer(SLACK_PACE, pace()), new SlackPacer(SLACK_PACE, pace())];
const post = (pacer: SlackPacer, channelId: string, text: string) => pacer.call(channelId, 'chat.postMessage', () => client.chat.postMessage({ channel: channelId, text }));
const shared = () => dynamoSharedPace(dynamo.documentClient, dynamo.tableName);

describe('one pace per channel, across containers', () => {
  it('posts a burst from two containers without a 429: they take turns (each container alone earns Slack’s 429s)', async () => {
    slack.postLimit = { perSecond: 1, burst: 3 };
    const together = channel();
    const [a, b] = containers(shared);
    const started = Date.now();
    await Promise.all([0, 1, 2].flatMap((n) => [post(a!, together, `a${n}`), post(b!, together, `b${n}`)]));
    expect(slack.rateLimited).toEqual([]);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(6);
    // Three at once, then one a second: the last about three seconds on, within Slack's pace.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);

    // The same burst, each container keeping its own pace: both think the channel is quiet.
    const apart = channel();
    const [c, d] = containers(paceInMemory);
    const outcomes = await Promise.allSettled([0, 1, 2].flatMap((n) => [post(c!, apart, `c${n}`), post(d!, apart, `d${n}`)]));
    expect(slack.rateLimited.length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').length).toBe(slack.rateLimited.length);
  }, 20_000);

  it('holds every container’s posts to a channel for Slack’s Retry-After, and none to another channel', async () => {
    // Slack allows one at a time here; the bridge's pace allows three, so its second post earns a 429 with Retry-After 1.
    slack.postLimit = { perSecond: 1, burst: 1 };
    const limited = channel();
    const other = channel();
    const [a, b] = containers(shared);
    await post(a!, limited, 'first');
    const refused = await post(a!, limited, 'second').catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 429, retryAfterMs: 1_000 });
    expect(slack.rateLimited).toHaveLength(1);

    // The other container never saw that 429: it waits for the hold rather than earn one of its own.
    const started = Date.now();
    const otherDone = post(b!, other, 'elsewhere').then(() => Date.now() - started);
    const limitedDone = post(b!, limited, 'after the hold').then(() => Date.now() - started);
    expect(await otherDone).toBeLessThan(800);
    expect(await limitedDone).toBeGreaterThanOrEqual(900);
    expect(slack.rateLimited).toHaveLength(1);
  }, 20_000);

  it('gives way, without calling Slack, when the channel’s next turns are taken further ahead than a post waits', async () => {
    const busy = channel();
    const [a, b] = containers(shared);
    // Three at once, then one a second: the ninth would wait five seconds.
    const posts = Array.from({ length: 9 }, (_, n) => post(n % 2 === 0 ? a! : b!, busy, `p${n}`).then(() => 'posted', (error: unknown) => error));
    const outcomes = await Promise.all(posts);
    const gaveWay = outcomes.filter((outcome) => outcome instanceof DownstreamError);
    expect(gaveWay.length).toBeGreaterThan(0);
    for (const error of gaveWay) expect(error).toMatchObject({ status: 429, retryAfterMs: expect.any(Number) as number });
    expect(slack.callsTo('chat.postMessage').filter((call) => call.args.channel === busy)).toHaveLength(9 - gaveWay.length);
  }, 20_000);

  it.each([
    ['in the table', shared],
    ['in memory', paceInMemory],
  ])('keeps a turn for a post that gives way, %s: it comes back to that turn, once, and not to the end of the line', async (_where, pace) => {
    const keeping = pace();
    const busy = channel();
    const now = Date.now();
    const latest = now + 4_000;
    // Three at once, then one an interval: after six, the line is past the four seconds a post waits.
    for (let n = 0; n < 6; n += 1) expect(await keeping.take(busy, SLACK_PACE, now, latest)).toMatchObject({ taken: true });
    const first = await keeping.take(busy, SLACK_PACE, now, latest, 'post-a');
    const second = await keeping.take(busy, SLACK_PACE, now, latest, 'post-b');
    expect(first).toMatchObject({ taken: false });
    expect(second).toMatchObject({ taken: false });
    const turnA = (first as { notBefore: number }).notBefore;
    expect((second as { notBefore: number }).notBefore).toBe(turnA + SLACK_PACE.intervalMs);
    // A post without a name to come back under gives way behind both, its turn not kept.
    const unnamed = await keeping.take(busy, SLACK_PACE, now, latest);
    expect(unnamed).toEqual({ taken: false, notBefore: turnA + 2 * SLACK_PACE.intervalMs });
    // Two seconds before its turn, post-a comes back and gets it, though others asked since.
    const back = turnA - 2_000;
    expect(await keeping.take(busy, SLACK_PACE, back, back + 4_000, 'post-a')).toEqual({ taken: true, at: turnA });
    // Once: asked again, it goes to the end of the line.
    const again = await keeping.take(busy, SLACK_PACE, back, back + 4_000, 'post-a');
    expect(again).toMatchObject({ taken: false });
    expect((again as { notBefore: number }).notBefore).toBeGreaterThan(turnA + SLACK_PACE.intervalMs);
    // Back too early, post-b gives way again to the same turn.
    expect(await keeping.take(busy, SLACK_PACE, now, latest, 'post-b')).toEqual({ taken: false, notBefore: turnA + SLACK_PACE.intervalMs });
    // Back more than an interval late, post-b's turn has gone by (used now, it would crowd the turns after it): it takes
    // the next like anyone, and the line is full again.
    const late = turnA + 3 * SLACK_PACE.intervalMs;
    for (let n = 0; n < 6; n += 1) await keeping.take(busy, SLACK_PACE, late, late + 4_000);
    expect(await keeping.take(busy, SLACK_PACE, late, late + 4_000, 'post-b')).toMatchObject({ taken: false });
  });

  it('sends a post whose turn is kept back to the queue two seconds before its turn', async () => {
    const busy = channel();
    const [a] = containers(shared);
    const attempts = Array.from({ length: 7 }, (_, n) =>
      a!.call(busy, 'chat.postMessage', () => client.chat.postMessage({ channel: busy, text: `k${n}` }), `post-${n}`).then(() => undefined, (error: unknown) => error as DownstreamError),
    );
    const gaveWay = (await Promise.all(attempts)).filter((outcome) => outcome !== undefined);
    expect(gaveWay.length).toBeGreaterThan(0);
    // Three at once, then one an interval: the seventh post's turn is four intervals on; it comes back 2 s before it.
    expect(gaveWay).toHaveLength(1);
    // (Its turn was taken at once: the container takes its turns one after the other, each a read and a write.)
    expect(gaveWay[0]!.retryAfterMs!).toBeLessThanOrEqual(4 * SLACK_PACE.intervalMs - 2_000);
    expect(gaveWay[0]!.retryAfterMs!).toBeGreaterThan(4 * SLACK_PACE.intervalMs - 2_000 - 500);
  }, 20_000);

  it('forgets a pace written later than now (a clock set back), rather than hold the channel for that long', () => {
    const now = 1_800_000_000_000;
    const written = { due: now + 60_000, heldUntil: 0, writtenAt: now + 59_000 };
    expect(nextSlot(written, SLACK_PACE, now).at).toBe(now);
    // Written just now, the same turn is obeyed.
    expect(nextSlot({ ...written, writtenAt: now }, SLACK_PACE, now).at).toBe(now + 60_000 - 2 * SLACK_PACE.intervalMs);
  });
});


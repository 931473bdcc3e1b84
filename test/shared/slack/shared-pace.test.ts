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

  it('forgets a pace written later than now (a clock set back), rather than hold the channel for that long', () => {
    const now = 1_800_000_000_000;
    const written = { due: now + 60_000, heldUntil: 0, writtenAt: now + 59_000 };
    expect(nextSlot(written, SLACK_PACE, now).at).toBe(now);
    // Written just now, the same turn is obeyed.
    expect(nextSlot({ ...written, writtenAt: now }, SLACK_PACE, now).at).toBe(now + 60_000 - 2 * SLACK_PACE.intervalMs);
  });
});


import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownstreamError, PermanentDownstreamError } from '../../../shared/platform/errors';
import { callSlack, createSlackClient, type SlackClient } from '../../../shared/slack/client';
import { UserDirectory } from '../../../shared/slack/users';
import { startSlackStandIn, type SlackStandIn } from '../../support/slack-stand-in';

let slack: SlackStandIn;
let client: SlackClient;
beforeAll(async () => {
  slack = await startSlackStandIn();
  client = await createSlackClient({ token: 'xoxb-directory-test', slackApiUrl: slack.apiUrl });
  slack.users.set('U0MAYA', { display_name: 'Maya', real_name: 'Maya Lopez' });
  slack.users.set('U0SAM', { real_name: 'Sam Okafor' });
});
afterAll(() => slack.close());
beforeEach(() => {
  slack.calls.length = 0;
  slack.delays.clear();
  slack.failing.clear();
  slack.postLimit = undefined;
});

describe('callSlack', () => {
  const post = () => callSlack('chat.postMessage', () => client.chat.postMessage({ channel: 'C0SUPPORT1', text: 'hello' }));
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as DownstreamError);

  it("turns Slack's 429 into a failure to retry after its Retry-After", async () => {
    slack.postLimit = { perSecond: 0.5, burst: 1 };
    await post();
    const error = await failure(post());
    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).not.toBeInstanceOf(PermanentDownstreamError);
    expect(error).toMatchObject({ service: 'slack', status: 429, retryAfterMs: 2_000 });
  });

  it.each(['internal_error', 'service_unavailable', 'fatal_error'])('treats %s as passing: retried', async (code) => {
    slack.failing.set('chat.postMessage', code);
    const error = await failure(post());
    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).not.toBeInstanceOf(PermanentDownstreamError);
  });

  it.each([
    ['not_in_channel', '/invite @Support Bridge'],
    ['channel_not_found', 'supportChannelId'],
    ['is_archived', 'unarchive'],
    ['invalid_auth', 'bot token'],
    ['token_revoked', 'bot token'],
    ['missing_scope', 'reinstall'],
    ['invalid_blocks', 'a bug'],
    ['some_new_error', 'some_new_error'],
  ])('treats %s as a refusal retrying cannot change, with what to do', async (code, fix) => {
    slack.failing.set('chat.postMessage', code);
    const error = await failure(post());
    expect(error).toBeInstanceOf(PermanentDownstreamError);
    expect(error).toMatchObject({ code, fix: expect.stringContaining(fix) as string });
  });
});

const lookups = () => slack.callsTo('users.info').length;
const displayName = async (users: UserDirectory, userId: string) => (await users.profile(client, userId)).name;

describe('UserDirectory', () => {
  it('looks a name up once and serves it from the cache after that, display name first', async () => {
    const users = new UserDirectory();
    expect(await users.profiles(client, ['U0MAYA', 'U0SAM', 'U0NOBODY'])).toEqual(
      new Map([
        ['U0MAYA', { name: 'Maya' }],
        ['U0SAM', { name: 'Sam Okafor' }],
        ['U0NOBODY', {}],
      ]),
    );
    expect(await displayName(users, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(3);
  });

  it('does not wait beyond waitMs for a slow lookup, which still fills the cache for the next caller', async () => {
    slack.delays.set('users.info', 300);
    const users = new UserDirectory({ waitMs: 50 });

    const started = performance.now();
    expect(await displayName(users, 'U0MAYA')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(250);

    // A second caller while the lookup is still under way joins it rather than starting another.
    expect(await displayName(users, 'U0MAYA')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await displayName(users, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(1);
  });

  it('keeps the name it had when a refresh fails', async () => {
    let now = 0;
    const users = new UserDirectory({ ttlMs: 1_000, now: () => now });
    expect(await displayName(users, 'U0MAYA')).toBe('Maya');
    now = 5_000;
    slack.failing.set('users.info', 'internal_error');
    expect(await displayName(users, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(2);
  });
});

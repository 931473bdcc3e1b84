import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackClient, UserDirectory, type SlackClient } from '../../../shared/slack/client';
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
});

const lookups = () => slack.callsTo('users.info').length;

describe('UserDirectory', () => {
  it('looks a name up once and serves it from the cache after that, display name first', async () => {
    const users = new UserDirectory();
    expect(await users.displayNames(client, ['U0MAYA', 'U0SAM', 'U0NOBODY'])).toEqual(
      new Map([
        ['U0MAYA', 'Maya'],
        ['U0SAM', 'Sam Okafor'],
      ]),
    );
    expect(await users.displayName(client, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(3);
  });

  it('does not wait beyond waitMs for a slow lookup, which still fills the cache for the next caller', async () => {
    slack.delays.set('users.info', 300);
    const users = new UserDirectory({ waitMs: 50 });

    const started = performance.now();
    expect(await users.displayName(client, 'U0MAYA')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(250);

    // A second caller while the lookup is still under way joins it rather than starting another.
    expect(await users.displayName(client, 'U0MAYA')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await users.displayName(client, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(1);
  });

  it('keeps the name it had when a refresh fails', async () => {
    let now = 0;
    const users = new UserDirectory({ ttlMs: 1_000, now: () => now });
    expect(await users.displayName(client, 'U0MAYA')).toBe('Maya');
    now = 5_000;
    slack.failing.set('users.info', 'internal_error');
    expect(await users.displayName(client, 'U0MAYA')).toBe('Maya');
    expect(lookups()).toBe(2);
  });
});

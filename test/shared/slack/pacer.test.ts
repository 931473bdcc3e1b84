import { describe, expect, it } from 'vitest';
import { SlackPacer } from '../../../shared/slack/desk';
import { DownstreamError } from '../../../shared/platform/errors';
import { paceFrom } from '../../../shared/platform/config';
import { paceInMemory } from '../../../shared/platform/pace';
import { SETTINGS } from '../../../shared/platform/settings';

describe('SlackPacer', () => {
  it("holds back posts to a channel Slack rate limited until its Retry-After, without calling Slack, and no other channel's", async () => {
    const clock = { now: 1_000_000 };
    const pacer = new SlackPacer(paceFrom(SETTINGS.slackPostPace.default), paceInMemory(), () => clock.now);
    let calls = 0;
    const limited = () => {
      calls += 1;
      return Promise.reject(Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: 3 }));
    };
    const fine = () => {
      calls += 1;
      return Promise.resolve('ok');
    };

    await expect(pacer.call('C1', 'chat.postMessage', limited)).rejects.toMatchObject({ status: 429, retryAfterMs: 3_000 });
    clock.now += 1_000;
    const held = await pacer.call('C1', 'chat.postMessage', fine).catch((error: unknown) => error);
    expect(held).toBeInstanceOf(DownstreamError);
    expect(held).toMatchObject({ status: 429, retryAfterMs: 2_000 });
    expect(calls).toBe(1);
    expect(await pacer.call('C2', 'chat.postMessage', fine)).toBe('ok');
    clock.now += 2_000;
    expect(await pacer.call('C1', 'chat.postMessage', fine)).toBe('ok');
    expect(calls).toBe(3);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { createSecretsProvider, readSettings, secretFrom } from '../../../shared/platform/config';
import { ConfigError, DownstreamError } from '../../../shared/platform/errors';

const SECRET_JSON = JSON.stringify({
  slackSigningSecret: 'sign',
  slackBotToken: 'xoxb-1',
  botpressWebhookUrl: 'https://webhook.botpress.cloud/abc',
  botpressWebhookSecret: 'bp',
  botpressSigningSecret: 'bp-signing',
  bridgeApiToken: 'bridge',
});

describe('readSettings', () => {
  it('names every missing variable at once', () => {
    const error = (() => {
      try {
        readSettings({}, ['supportChannelId']);
      } catch (thrown) {
        return thrown as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe('missing required setting(s): TABLE_NAME, DELIVERY_QUEUE_URL, SLACK_SUPPORT_CHANNEL_ID');
    expect(error?.missing).toEqual(['TABLE_NAME', 'DELIVERY_QUEUE_URL', 'SLACK_SUPPORT_CHANNEL_ID']);
  });

  const minimal = { TABLE_NAME: 't', DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo' };

  it('defaults the mapping lifetime to 7 days and accepts an override in hours', () => {
    expect(readSettings(minimal).mappingTtlSeconds).toBe(7 * 24 * 3600);
    expect(readSettings({ ...minimal, MAPPING_TTL_HOURS: '2' }).mappingTtlSeconds).toBe(7200);
    expect(() => readSettings({ ...minimal, MAPPING_TTL_HOURS: '-1' })).toThrow(/MAPPING_TTL_HOURS/);
  });

  it('defaults giving up on a delivery to 15 minutes and accepts an override in minutes', () => {
    expect(readSettings(minimal).deliveryGiveUpMs).toBe(15 * 60_000);
    expect(readSettings({ ...minimal, DELIVERY_GIVE_UP_MINUTES: '2.5' }).deliveryGiveUpMs).toBe(150_000);
    expect(() => readSettings({ ...minimal, DELIVERY_GIVE_UP_MINUTES: 'soon' })).toThrow(/DELIVERY_GIVE_UP_MINUTES must be a positive number of minutes, got "soon"/);
  });

  it('reads the queues’ channels (names in lower case), none by default, and fails, naming the entry, on a malformed one', () => {
    expect(readSettings(minimal).queueChannels).toEqual(new Map());
    expect(readSettings({ ...minimal, SLACK_QUEUE_CHANNELS: ' Billing = C0BILLING1 , tech=G0TECH0001,' }).queueChannels).toEqual(
      new Map([
        ['billing', 'C0BILLING1'],
        ['tech', 'G0TECH0001'],
      ]),
    );
    for (const [bad, entry] of [
      ['billing', 'billing'],
      ['billing=#billing', 'billing=#billing'],
      ['billing=c0lower0001', 'billing=c0lower0001'],
      ['billing=C0BILLING1,billing=C0OTHER001', 'billing=C0OTHER001'],
      ['a b=C0BILLING1', 'a b=C0BILLING1'],
      ['x=C0BILLING1=C0B', 'x=C0BILLING1=C0B'],
    ]) {
      expect(() => readSettings({ ...minimal, SLACK_QUEUE_CHANNELS: bad })).toThrow(`SLACK_QUEUE_CHANNELS has a bad entry "${entry}"`);
    }
  });

  it('reads the internal-note prefixes (default "note:" and ";;"), trimmed and in lower case, and fails, naming it, when one is empty or too long', () => {
    expect(readSettings(minimal).internalNotePrefixes).toEqual(['note:', ';;']);
    expect(readSettings({ ...minimal, INTERNAL_NOTE_PREFIXES: ' Private: , ;; ' }).internalNotePrefixes).toEqual(['private:', ';;']);
    for (const bad of ['', '  ', 'note:,', ',;;', 'x'.repeat(21)]) {
      expect(() => readSettings({ ...minimal, INTERNAL_NOTE_PREFIXES: bad })).toThrow(expect.objectContaining({ missing: ['INTERNAL_NOTE_PREFIXES'], message: expect.stringMatching(/^INTERNAL_NOTE_PREFIXES must list short prefixes/) as string }));
    }
  });
});

describe('createSecretsProvider', () => {
  it('reads local values from the environment and names the missing ones by their variable', async () => {
    const secrets = createSecretsProvider({ settings: { secretId: undefined }, required: ['slackSigningSecret', 'slackBotToken', 'bridgeApiToken'], env: { SLACK_SIGNING_SECRET: 's' }, fetchSecretString: () => Promise.reject(new Error('no secret id: not read')) });
    await expect(secrets()).rejects.toMatchObject({ missing: ['SLACK_BOT_TOKEN', 'BRIDGE_API_TOKEN'] });
  });

  it('reads the JSON secret once and caches it for maxAge', async () => {
    const clock = { now: 0 };
    const fetchSecretString = vi.fn(() => Promise.resolve(SECRET_JSON));
    const secrets = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: ['slackBotToken'], fetchSecretString, maxAgeMs: 1000, now: () => clock.now });
    const [a, b] = await Promise.all([secrets(), secrets()]);
    expect(a).toEqual(JSON.parse(SECRET_JSON));
    expect(b).toBe(a);
    expect(fetchSecretString).toHaveBeenCalledTimes(1);
    clock.now = 1001;
    await secrets();
    expect(fetchSecretString).toHaveBeenCalledTimes(2);
  });

  it('gives one secret through secretFrom, from the cache while it is fresh', async () => {
    const clock = { now: 0 };
    const fetchSecretString = vi.fn(() => Promise.resolve(SECRET_JSON));
    const secrets = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: ['slackBotToken'], fetchSecretString, maxAgeMs: 1000, now: () => clock.now });
    expect(await secretFrom(secrets, 'slackBotToken')).toBe('xoxb-1');
    expect(await secretFrom(secrets, 'slackBotToken')).toBe('xoxb-1');
    expect(fetchSecretString).toHaveBeenCalledTimes(1);
    clock.now = 1001;
    expect(await secretFrom(secrets, 'slackBotToken')).toBe('xoxb-1');
    expect(fetchSecretString).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failure, so that setting the secret heals the function', async () => {
    const fetchSecretString = vi.fn().mockResolvedValueOnce(JSON.stringify({ slackBotToken: '' })).mockResolvedValueOnce(SECRET_JSON);
    const secrets = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: ['slackBotToken'], fetchSecretString });
    await expect(secrets()).rejects.toMatchObject({ missing: ['slackBotToken'] });
    await expect(secrets()).resolves.toMatchObject({ slackBotToken: 'xoxb-1' });
  });

  it('keeps the values read before while Secrets Manager cannot be reached, trying again after a pause rather than on every request', async () => {
    const clock = { now: 0 };
    const rotated = JSON.stringify({ ...(JSON.parse(SECRET_JSON) as object), slackBotToken: 'xoxb-2' });
    const outage = new Error('connect ETIMEDOUT');
    const fetchSecretString = vi.fn().mockResolvedValueOnce(SECRET_JSON).mockRejectedValueOnce(outage).mockResolvedValueOnce(rotated);
    const onStale = vi.fn();
    const secrets = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: ['slackBotToken'], fetchSecretString, maxAgeMs: 1000, retryAfterFailureMs: 100, onStale, now: () => clock.now });
    await secrets();

    clock.now = 1000;
    const [a, b] = await Promise.all([secrets(), secrets()]);
    expect([a.slackBotToken, b.slackBotToken]).toEqual(['xoxb-1', 'xoxb-1']);
    expect(onStale).toHaveBeenCalledTimes(1);
    expect(onStale.mock.calls[0]![0]).toMatchObject({ constructor: DownstreamError, cause: outage });
    clock.now = 1099;
    expect((await secrets()).slackBotToken).toBe('xoxb-1');
    expect(fetchSecretString).toHaveBeenCalledTimes(2);

    clock.now = 1100;
    expect((await secrets()).slackBotToken).toBe('xoxb-2');
    expect(fetchSecretString).toHaveBeenCalledTimes(3);
  });

  it('fails rather than keep old values when the secret now reads wrong, so that the mistake shows', async () => {
    const clock = { now: 0 };
    const fetchSecretString = vi.fn().mockResolvedValueOnce(SECRET_JSON).mockResolvedValueOnce(JSON.stringify({ slackBotToken: '' }));
    const onStale = vi.fn();
    const secrets = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: ['slackBotToken'], fetchSecretString, maxAgeMs: 1000, onStale, now: () => clock.now });
    await secrets();
    clock.now = 1000;
    await expect(secrets()).rejects.toMatchObject({ constructor: ConfigError, missing: ['slackBotToken'] });
    expect(onStale).not.toHaveBeenCalled();
  });

  it('never echoes a malformed secret in its error, and wraps Secrets Manager failures with their cause', async () => {
    const leaky = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: [], fetchSecretString: () => Promise.resolve('xoxb-super-secret-not-json') });
    const error = (await Promise.resolve().then(leaky).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).not.toContain('xoxb');

    const cause = new Error('AccessDenied');
    const failing = createSecretsProvider({ settings: { secretId: 'arn:secret' }, required: [], fetchSecretString: () => Promise.reject(cause) });
    await expect(failing()).rejects.toMatchObject({ constructor: DownstreamError, cause });
  });
});

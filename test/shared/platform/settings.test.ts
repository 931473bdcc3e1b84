import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PROJECT_ROOT } from '../../../infra/bundling';
import { readLocalConfig } from '../../../local/config';
import { envExample, withSettingsTable } from '../../../local/settings-docs';
import { readSettings } from '../../../shared/platform/config';
import { LOCALLY_REQUIRED, SECRETS, SETTINGS, SETTING_KEYS, secretsEnvironment, settingsEnvironment } from '../../../shared/platform/settings';

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

describe('the one declaration of settings (shared/platform/settings.ts)', () => {
  it("is what README's settings table says, row for row (npm run docs rewrites it)", () => {
    const readme = read('README.md');
    expect(withSettingsTable(readme), 'README.md: run `npm run docs`').toBe(readme);
  });

  it('is what .env.example says (npm run docs rewrites it)', () => {
    expect(read('.env.example'), '.env.example: run `npm run docs`').toBe(envExample());
  });

  it('names every variable once', () => {
    const names = [...SETTING_KEYS.map((key) => SETTINGS[key].env), ...Object.values(SECRETS).map((secret) => secret.env)];
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives environments by key, leaving out what is undefined', () => {
    expect(settingsEnvironment({ tableName: 't', slackApiUrl: undefined, port: '0' })).toEqual({ TABLE_NAME: 't', PORT: '0' });
    expect(secretsEnvironment({ slackBotToken: 'xoxb-1' })).toEqual({ SLACK_BOT_TOKEN: 'xoxb-1' });
  });

  it('makes npm start require every secret and the channel, and default the table', () => {
    expect([...LOCALLY_REQUIRED].sort()).toEqual(
      ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'BOTPRESS_WEBHOOK_URL', 'BOTPRESS_WEBHOOK_SECRET', 'BRIDGE_API_TOKEN', 'BOTPRESS_SIGNING_SECRET', 'SLACK_SUPPORT_CHANNEL_ID'].sort(),
    );
  });

  it("hands the functions under npm start every setting they read, but not the AWS-only secret ARN", () => {
    const all = Object.fromEntries(LOCALLY_REQUIRED.map((name) => [name, `value of ${name}`]));
    const env = { ...all, ...settingsEnvironment({ slackApiUrl: 'http://127.0.0.1:1/api', mappingTtlHours: '2', logLevel: 'DEBUG', secretId: 'arn:aws:secretsmanager:x' }) };
    const { functionEnv } = readLocalConfig(env, '/tmp');
    expect(functionEnv).toMatchObject({ ...all, SLACK_API_URL: 'http://127.0.0.1:1/api', MAPPING_TTL_HOURS: '2', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    expect(functionEnv[SETTINGS.tableName.env]).toBe(SETTINGS.tableName.localDefault);
    expect(functionEnv).not.toHaveProperty(SETTINGS.secretId.env);
    // And what the functions read from it is what was set (npm start adds the queue it runs).
    expect(readSettings({ ...functionEnv, ...settingsEnvironment({ deliveryQueueUrl: 'http://127.0.0.1:1/000000000000/q.fifo' }) }, ['supportChannelId'])).toMatchObject({ supportChannelId: 'value of SLACK_SUPPORT_CHANNEL_ID', mappingTtlSeconds: 7200, slackApiUrl: 'http://127.0.0.1:1/api' });
  });

  it('types a setting a function asks for as present', () => {
    const env = { TABLE_NAME: 't', DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo' };
    const settings = readSettings({ ...env, SLACK_SUPPORT_CHANNEL_ID: 'C1' }, ['supportChannelId']);
    expectTypeOf(settings.supportChannelId).toEqualTypeOf<string>();
    expectTypeOf(readSettings(env).supportChannelId).toEqualTypeOf<string | undefined>();
    expect(settings.supportChannelId).toBe('C1');
  });
});

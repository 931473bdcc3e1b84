import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../infra/bundling';

/** The bot scopes each Web API method needs (from each method's documentation page). */
const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'users.info': ['users:read'],
  'files.info': ['files:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'reactions.add': ['reactions:write'],
  // None: any bot token may (https://docs.slack.dev/reference/methods/auth.test, views.publish).
  'auth.test': [],
  'views.publish': [],
  // Either, by the channel's kind: public channels need channels:history, private ones groups:history.
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
};

/** Bot events and the scope each requires. */
const EVENT_SCOPES: Readonly<Record<string, string | undefined>> = { 'message.channels': 'channels:history', 'message.groups': 'groups:history', app_home_opened: undefined };

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => path.join(entry.parentPath, entry.name));
}

interface Manifest {
  oauth_config: { scopes: { bot: string[] } };
  features: { app_home?: { home_tab_enabled?: boolean } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
}

describe('slack-app-manifest.yaml', async () => {
  const manifest = parse(await readFile(path.join(PROJECT_ROOT, 'slack-app-manifest.yaml'), 'utf8')) as Manifest;
  const scopes = new Set(manifest.oauth_config.scopes.bot);
  const sources = await Promise.all([...(await sourceFiles('shared')), ...(await sourceFiles('functions'))].map((file) => readFile(file, 'utf8')));
  // The code calls Slack through a WebClient named `slack` (or `client` inside the user directory).
  const calledMethods = new Set(sources.flatMap((source) => [...source.matchAll(/\b(?:slack|client)\.(chat|users|conversations|reactions|views|auth|files)\.(\w+)\(/g)].map((m) => `${m[1]}.${m[2]}`)));

  it('finds the Web API calls in the code (the scan itself works)', () => {
    expect([...calledMethods].sort()).toEqual(expect.arrayContaining(['chat.postEphemeral', 'chat.postMessage', 'chat.update', 'users.info']));
  });

  it.each([...calledMethods].map((method) => [method]))('covers %s with a bot scope', (method) => {
    const needed = METHOD_SCOPES[method];
    expect(needed, `add ${method}'s scopes to METHOD_SCOPES and the manifest`).toBeDefined();
    for (const scope of needed!) expect(scopes).toContain(scope);
  });

  it('grants chat:write.customize, since customer messages are posted under the customer name', () => {
    expect(sources.some((source) => /\busername:/.test(source))).toBe(true);
    expect(scopes).toContain('chat:write.customize');
  });

  it('subscribes to message events in public and private channels, with their scopes, and to the Home tab being opened', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['message.channels', 'message.groups', 'app_home_opened']);
    for (const event of manifest.settings.event_subscriptions.bot_events) {
      expect(event in EVENT_SCOPES).toBe(true);
      if (EVENT_SCOPES[event]) expect(scopes).toContain(EVENT_SCOPES[event]);
    }
  });

  it('enables the Home tab, where the open handoffs are listed', () => {
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true });
  });

  it('points Slack at the bridge routes', () => {
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/interactions$/) as string });
  });
});

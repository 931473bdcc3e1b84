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
  // Either, by the channel's kind: public channels need channels:history, private ones groups:history.
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
};

/** Bot events and the scope each requires. */
const EVENT_SCOPES: Readonly<Record<string, string>> = { 'message.channels': 'channels:history', 'message.groups': 'groups:history' };

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => path.join(entry.parentPath, entry.name));
}

interface Manifest {
  oauth_config: { scopes: { bot: string[] } };
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

  it('subscribes to message events in public and private channels, with their scopes', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['message.channels', 'message.groups']);
    for (const event of manifest.settings.event_subscriptions.bot_events) expect(scopes).toContain(EVENT_SCOPES[event]);
  });

  it('points Slack at the bridge routes', () => {
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/interactions$/) as string });
  });
});

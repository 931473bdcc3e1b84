import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as sdk from '@botpress/sdk';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';
import hitl from '../../botpress/integration/bp_modules/hitl';
import definition from '../../botpress/integration/integration.definition';

const fields = (schema: sdk.z.ZodTypeAny | undefined): string[] => Object.keys(((schema as sdk.z.AnyZodObject | undefined)?.shape ?? {}) as Record<string, unknown>).sort();

describe('the integration definition (botpress/integration)', () => {
  it('implements the hitl interface at the major version the HITL plugin takes (2), with its actions, events and channel', () => {
    expect(hitl).toMatchObject({ type: 'interface', name: 'hitl', version: expect.stringMatching(/^2\./) as string });
    expect(Object.values(definition.interfaces ?? {})).toEqual([expect.objectContaining({ name: 'hitl', version: hitl.version })]);
    expect(Object.keys(definition.actions ?? {}).sort()).toEqual(['createUser', 'startHitl', 'stopHitl']);
    expect(Object.keys(definition.events ?? {}).sort()).toEqual(['hitlAssigned', 'hitlStopped']);
    expect(Object.keys(definition.channels?.hitl?.messages ?? {}).sort()).toEqual(['audio', 'bloc', 'file', 'image', 'text', 'video']);
  });

  it('has what `bp lint` asks of it: an icon, and a description for its channel', () => {
    expect(definition.icon).toBe('icon.svg');
    expect(readFileSync(path.join(PROJECT_ROOT, 'botpress/integration', definition.icon!), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(definition.channels?.hitl).toMatchObject({ title: expect.any(String) as string, description: expect.stringMatching(/\w/) as string });
    // packages/cli linter rulesets/integration.ruleset.ts: state-fields-must-have-description (error), -should-have-title (warn).
    const stateFields = Object.values(definition.states ?? {}).flatMap((state) => Object.values((state.schema.toJSONSchema() as { properties: Record<string, { description?: string; 'x-zui'?: { title?: string } }> }).properties));
    expect(stateFields.length).toBeGreaterThan(0);
    for (const field of stateFields) expect(field).toMatchObject({ description: expect.stringMatching(/\w/) as string, 'x-zui': { title: expect.stringMatching(/\w/) as string } });
  });

  it("declares the interface's schemas field for field", () => {
    const { actions, events, channels } = definition;
    expect(fields(actions?.createUser?.input.schema)).toEqual(['email', 'name', 'pictureUrl']);
    expect(fields(actions?.createUser?.output.schema)).toEqual(['userId']);
    expect(fields(actions?.startHitl?.input.schema)).toEqual(['description', 'hitlSession', 'messageHistory', 'title', 'userId']);
    expect(fields(actions?.startHitl?.output.schema)).toEqual(['conversationId']);
    expect(fields(actions?.stopHitl?.input.schema)).toEqual(['conversationId']);
    expect(fields(events?.hitlAssigned?.schema)).toEqual(['conversationId', 'userId']);
    expect(fields(events?.hitlStopped?.schema)).toEqual(['conversationId']);
    expect(fields(channels?.hitl?.messages.text?.schema)).toEqual(['additionalData', 'text', 'userId']);
    expect(fields(channels?.hitl?.messages.image?.schema)).toEqual(['additionalData', 'imageUrl', 'title', 'userId']);
    // additionalData is a message tag in the runtime API: at most 500 characters.
    expect(channels?.hitl?.messages.text?.schema.safeParse({ text: 'x', additionalData: 'a'.repeat(501) }).success).toBe(false);
    expect(channels?.hitl?.messages.text?.schema.safeParse({ text: '' }).success).toBe(false);
  });

  it('asks its installer for the bridge URL, token and signing secret, the secrets as secrets', () => {
    const schema = definition.configuration?.schema as sdk.z.AnyZodObject;
    expect(fields(schema)).toEqual(['bridgeToken', 'bridgeUrl', 'signingSecret']);
    expect(schema.safeParse({ bridgeUrl: 'not a url', bridgeToken: 't', signingSecret: 's' }).success).toBe(false);
    const { properties } = schema.toJSONSchema() as { properties: Record<string, { 'x-zui'?: { secret?: boolean } }> };
    expect(Object.entries(properties).filter(([, property]) => property['x-zui']?.secret).map(([name]) => name).sort()).toEqual(['bridgeToken', 'signingSecret']);
  });

  it('bundles with esbuild for Node.js, as `bp build` does, and the bundle answers the runtime', async () => {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'integration-bundle-')), 'index.cjs');
    await build({ entryPoints: [path.join(PROJECT_ROOT, 'botpress/integration/src/index.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node18', logLevel: 'silent' });
    const bundled = createRequire(import.meta.url)(outfile) as { default: Pick<sdk.Integration, 'handler'> };
    const headers = {
      'x-bp-operation': 'ping',
      'x-bot-id': 'bot_1',
      'x-bot-user-id': 'user_1',
      'x-integration-id': 'int_1',
      'x-integration-alias': 'slack-hitl-bridge',
      'x-webhook-id': 'wh_1',
      'x-bp-configuration': Buffer.from(JSON.stringify({ bridgeUrl: 'https://bridge.test/botpress', bridgeToken: 't', signingSecret: 's' })).toString('base64'),
    };
    expect(await bundled.default.handler({ method: 'POST', path: '/', query: '', headers, body: '{}' })).toMatchObject({ status: 200 });
  });
});

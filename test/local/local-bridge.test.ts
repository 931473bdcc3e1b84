import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCALLY_REQUIRED } from '../../shared/platform/settings';
import { signSlackRequest } from '../../shared/platform/hmac';
import { conversationKey } from '../../shared/aws/handoff-store';
import { eventCallback, threadReply } from '../fixtures/slack-events';
import { startBotpressStandIn } from '../support/botpress-stand-in';
import { startLocalDynamo } from '../support/dynalite';
import { runLocalBridgeToExit, spawnLocalBridge } from '../support/local-bridge-process';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';

const NO_ENV_FILE = { DOTENV_CONFIG_PATH: path.join(tmpdir(), 'no-such-env-file') };
let slack: SlackStandIn;
let settings: Record<string, string>;

beforeAll(async () => {
  slack = await startSlackStandIn();
  settings = {
    ...NO_ENV_FILE,
    SLACK_SIGNING_SECRET: 'local-signing',
    SLACK_BOT_TOKEN: 'xoxb-local',
    SLACK_SUPPORT_CHANNEL_ID: 'C0LOCAL001',
    SLACK_API_URL: slack.apiUrl,
    BOTPRESS_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
    BOTPRESS_WEBHOOK_SECRET: 'bp',
    BOTPRESS_SIGNING_SECRET: 'bp-signing',
    BRIDGE_API_TOKEN: 'local-token',
  };
});
afterAll(() => slack.close());

const botpressCall = (url: string, route: string, body: unknown) =>
  fetch(`${url}/botpress/${route}`, { method: 'POST', headers: { authorization: 'Bearer local-token', 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }),
  );

/** An agent's reply in a thread, as Slack signs and sends it. */
function agentReply(url: string, threadTs: string, text: string): Promise<Response> {
  const body = JSON.stringify(eventCallback(threadReply(text, { threadTs, channel: 'C0LOCAL001' })));
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest('local-signing', timestamp, body) },
    body,
  });
}

describe('npm start (local/main.ts)', () => {
  it('stops at once when settings are missing, listing every missing name', async () => {
    const env: Record<string, string | undefined> = { ...process.env, ...NO_ENV_FILE, SLACK_BOT_TOKEN: 'xoxb-only-this' };
    for (const name of LOCALLY_REQUIRED) if (name !== 'SLACK_BOT_TOKEN') delete env[name];
    const { code, output } = await runLocalBridgeToExit(env);
    expect(code).toBe(1);
    expect(output).toContain('missing required setting(s): SLACK_SIGNING_SECRET, BOTPRESS_WEBHOOK_URL, BOTPRESS_WEBHOOK_SECRET, BRIDGE_API_TOKEN, BOTPRESS_SIGNING_SECRET, SLACK_SUPPORT_CHANNEL_ID');
    expect(output).not.toContain('listening on');
  });

  it('runs the plain bridge (no sandbox page), prints where it listens and the URLs to paste, keeps mappings in .data across restarts, and shuts down cleanly on SIGINT and SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-data-'));
    const first = await spawnLocalBridge({ ...settings, BRIDGE_DATA_DIR: dataDir });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const route of ['/slack/events', '/slack/interactions', '/botpress']) expect(first.output()).toContain(`${first.url}${route}`);
    // With the settings present it is the plain bridge: no sandbox page, no sandbox routes.
    expect(first.output()).not.toContain('Sandbox');
    expect((await fetch(`${first.url}/`)).status).toBe(404);
    expect((await fetch(`${first.url}/sandbox/state`)).status).toBe(404);

    const opened = await botpressCall(first.url, 'handoff', { conversationId: 'persisted', userId: 'u', summary: 'Needs a human' });
    expect(opened.body.status).toBe('created');
    expect(await first.stop('SIGINT')).toBe(0);

    const second = await spawnLocalBridge({ ...settings, BRIDGE_DATA_DIR: dataDir });
    expect(await botpressCall(second.url, 'message', { conversationId: 'persisted', text: 'still here' })).toEqual({ status: 200, body: { handoffActive: true } });
    expect(await botpressCall(second.url, 'handoff', { conversationId: 'persisted', userId: 'u', summary: 'again' })).toMatchObject({ body: { status: 'already_open', threadTs: opened.body.threadTs } });
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('uses DYNAMODB_ENDPOINT instead of the embedded server, creating the table there', async () => {
    const dynamo = await startLocalDynamo('unused-table');
    const bridge = await spawnLocalBridge({ ...settings, DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: 'created-by-bridge' });
    try {
      await botpressCall(bridge.url, 'handoff', { conversationId: 'elsewhere', userId: 'u', summary: 'x' });
      const item = await dynamo.documentClient.send(new GetCommand({ TableName: 'created-by-bridge', Key: { pk: conversationKey('elsewhere') } }));
      expect(item.Item).toMatchObject({ conversationId: 'elsewhere', state: 'open' });
    } finally {
      await bridge.stop();
      await dynamo.close();
    }
  });

  it('reports its services on /healthz, restarts the embedded DynamoDB when it dies, and stops non-zero, naming it, when it keeps dying', async () => {
    const bridge = await spawnLocalBridge({ ...settings, BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-health-')) });
    const healthz = () => fetch(`${bridge.url}/healthz`).then(async (response) => ({ status: response.status, body: await response.json() }));
    const dynamoPid = (nth: number) => Number([...bridge.output().matchAll(/embedded \(process (\d+)\)|\(process (\d+)\)\n/g)].map((match) => match[1] ?? match[2])[nth]);
    try {
      expect(await healthz()).toEqual({ status: 200, body: { dynamodb: 'ok', sqs: 'ok', s3: 'ok' } });
      const opened = await botpressCall(bridge.url, 'handoff', { conversationId: 'survives', userId: 'u', summary: 'x' });

      process.kill(dynamoPid(0), 'SIGKILL');
      await vi.waitFor(() => expect(bridge.output()).toContain('the embedded DynamoDB (dynalite) exited (SIGKILL); restarted it on port'), { timeout: 10_000 });
      expect(await healthz()).toEqual({ status: 200, body: { dynamodb: 'ok', sqs: 'ok', s3: 'ok' } });
      // Same endpoint, same data on disk.
      expect(await botpressCall(bridge.url, 'handoff', { conversationId: 'survives', userId: 'u', summary: 'again' })).toMatchObject({ body: { status: 'already_open', threadTs: opened.body.threadTs } });

      // Three restarts within a minute are taken; the fourth death is not.
      for (let nth = 1; nth <= 3; nth += 1) {
        process.kill(dynamoPid(nth), 'SIGKILL');
        if (nth < 3) await vi.waitFor(() => expect(dynamoPid(nth + 1)).toBeGreaterThan(0), { timeout: 10_000 });
      }
      await vi.waitFor(() => expect(bridge.child.exitCode).toBe(1), { timeout: 15_000 });
      expect(bridge.output()).toContain('Stopping: the embedded DynamoDB (dynalite) exited 4 times within a minute, the last time by SIGKILL');
    } finally {
      if (bridge.child.exitCode === null) await bridge.stop();
    }
  }, 60_000);

  it('answers /healthz with 503 naming the service that does not answer', async () => {
    const dynamo = await startLocalDynamo('unused-table');
    const bridge = await spawnLocalBridge({ ...settings, DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: 'health-table', BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-down-')) });
    try {
      await dynamo.close();
      const response = await fetch(`${bridge.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ dynamodb: expect.not.stringMatching(/^ok$/) as string, sqs: 'ok', s3: 'ok' });
    } finally {
      await bridge.stop();
    }
  });

  it('hands the handlers the exact bytes of a binary body (base64, as API Gateway does), so the signature holds', async () => {
    const bridge = await spawnLocalBridge({ ...settings, BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-bin-')) });
    try {
      const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]);
      const timestamp = Math.floor(Date.now() / 1000);
      const post = (signature: string) =>
        fetch(`${bridge.url}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
          body: bytes,
        });
      // Signed over the raw bytes: authenticated, then refused as not JSON (400), not as forged (401).
      expect((await post(signSlackRequest('local-signing', timestamp, bytes))).status).toBe(400);
      expect((await post(signSlackRequest('local-signing', timestamp, bytes.toString('utf8')))).status).toBe(401);
      expect((await fetch(`${bridge.url}/nowhere`, { method: 'POST' })).status).toBe(404);
    } finally {
      await bridge.stop();
    }
  });

  it('on SIGTERM stops taking requests, finishes the ones under way and the deliveries in flight, and after a restart delivers the rest: each reply once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-drain-'));
    const botpress = await startBotpressStandIn();
    const env = { ...settings, BOTPRESS_WEBHOOK_URL: `${botpress.url}/webhook`, BRIDGE_DATA_DIR: dataDir };
    try {
      const first = await spawnLocalBridge(env);
      const opened = await botpressCall(first.url, 'handoff', { conversationId: 'draining', userId: 'u', summary: 'Needs a human' });
      const threadTs = opened.body.threadTs as string;

      // Botpress slow: when SIGTERM comes, a delivery is in flight and others wait behind it in the queue.
      botpress.delayMs = 1_500;
      const texts = ['one', 'two', 'three', 'four'];
      const statuses: number[] = [];
      for (const text of texts) statuses.push((await agentReply(first.url, threadTs, text)).status);
      expect(statuses).toEqual([200, 200, 200, 200]);
      // A request under way at the signal: Slack slow to take the card of another handoff.
      slack.delays.set('chat.postMessage', 1_000);
      const inFlight = botpressCall(first.url, 'handoff', { conversationId: 'draining-2', userId: 'u', summary: 'Also needs a human' });
      // Signalled once that request is at Slack, and a delivery at Botpress.
      await vi.waitFor(
        () => {
          expect(slack.callsTo('chat.postMessage').some((call) => JSON.stringify(call.args).includes('Also needs a human'))).toBe(true);
          expect(botpress.received.length).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 10 },
      );

      const stopping = performance.now();
      const exitCode = await first.stop('SIGTERM');
      expect(exitCode).toBe(0);
      expect(performance.now() - stopping).toBeLessThan(12_000);
      // Answered in full, not reset: it had started before the signal.
      expect((await inFlight).status).toBe(200);
      slack.delays.clear();
      // The delivery in flight finished before the exit; what waited behind it is still queued.
      const deliveredBefore = botpress.deliveredBodies().length;
      expect(deliveredBefore).toBeGreaterThan(0);

      botpress.delayMs = 0;
      const second = await spawnLocalBridge(env);
      try {
        await vi.waitFor(() => expect(botpress.deliveredBodies().map((body) => (body as { text: string }).text)).toEqual(texts), { timeout: 20_000, interval: 50 });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(botpress.delivered).toHaveLength(texts.length);
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
    } finally {
      slack.delays.clear();
      await botpress.close();
    }
  }, 60_000);

  it('after SIGKILL mid-delivery and a restart, delivers every reply in order, the interrupted one again under its eventId, within seconds: nothing held for a lease or a visibility timeout', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-killed-'));
    const botpress = await startBotpressStandIn();
    const env = { ...settings, BOTPRESS_WEBHOOK_URL: `${botpress.url}/webhook`, BRIDGE_DATA_DIR: dataDir };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      const first = await spawnLocalBridge(env);
      const opened = await botpressCall(first.url, 'handoff', { conversationId: 'killed', userId: 'u', summary: 'Needs a human' });
      const threadTs = opened.body.threadTs as string;
      // Botpress takes the first reply and does not answer: the bridge dies with that delivery claimed and in flight.
      botpress.beforeAnswer = () => held;
      const texts = ['one', 'two', 'three'];
      for (const text of texts) expect((await agentReply(first.url, threadTs, text)).status).toBe(200);
      await vi.waitFor(() => expect(botpress.received.length).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
      await first.stop('SIGKILL');
      const interrupted = JSON.parse(botpress.received[0]!.rawBody) as { eventId: string; text: string };
      expect(interrupted.text).toBe('one');

      botpress.beforeAnswer = undefined;
      const second = await spawnLocalBridge(env);
      try {
        expect(second.output()).toMatch(/1 delivery claim\(s\) of the last run, which stopped without finishing them, are free again/);
        // Well inside the claim's lease (50 s) and the queue's visibility timeout (180 s) that held it before.
        await vi.waitFor(() => expect(botpress.deliveredBodies().map((body) => (body as { text: string }).text)).toEqual(texts), { timeout: 15_000, interval: 50 });
        expect((botpress.deliveredBodies()[0] as { eventId: string }).eventId).toBe(interrupted.eventId);
        expect(slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threadTs && /lost|not delivered/i.test(String(call.args.text)))).toEqual([]);
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
    } finally {
      release();
      await botpress.close();
    }
  }, 60_000);

  it('keeps a handoff’s reminders across a restart: the one due while it was down comes after, and each of the three is posted once', async () => {
    const env = { ...settings, BRIDGE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bridge-reminders-')), HANDOFF_REMINDER_MINUTES: '0.05', SLACK_ESCALATION_MENTION: '<!here>' };
    const first = await spawnLocalBridge(env);
    const opened = await botpressCall(first.url, 'handoff', { conversationId: 'reminded', userId: 'u', summary: 'Needs a human' });
    const threadTs = opened.body.threadTs as string;
    expect(await first.stop('SIGTERM')).toBe(0);
    // Down while the first reminder falls due (3 s).
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const reminders = () => slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threadTs && String(call.args.text).startsWith('<!here> :bell:'));
    expect(reminders()).toEqual([]);
    const second = await spawnLocalBridge(env);
    try {
      await vi.waitFor(() => expect(reminders()).toHaveLength(3), { timeout: 20_000, interval: 100 });
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(reminders()).toHaveLength(3);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);
});

import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BRIDGE_SIGNATURE_HEADERS, type BridgeEvent } from '../../../shared/botpress/contract';
import { postToBotpress, retryAfterMs } from '../../../shared/botpress/webhook';
import { verifySlackSignature } from '../../../shared/platform/hmac';
import { DownstreamError, PermanentDownstreamError } from '../../../shared/platform/errors';
import { startBotpressStandIn, type BotpressStandIn } from '../../support/botpress-stand-in';

let botpress: BotpressStandIn;
beforeAll(async () => {
  botpress = await startBotpressStandIn();
});
afterAll(() => botpress.close());
beforeEach(() => {
  botpress.status = 200;
  botpress.delayMs = 0;
  botpress.retryAfterSeconds = undefined;
});

const event: BridgeEvent = {
  type: 'agent_message',
  eventId: 'C0SUPPORT1:1717549400.000200',
  text: 'Your refund is on its way — 3 days at most',
  userId: 'U0AGENT01',
  channelId: 'C0SUPPORT1',
  threadTs: '1717549330.000100',
  conversationId: 'conv-1',
  messageTs: '1717549400.000200',
};
const webhook = (overrides: { url?: string; timeoutMs?: number } = {}) => ({ url: `${botpress.url}/webhook`, secret: 'bp-secret', signingSecret: 'bp-signing-secret', timeoutMs: 1_000, ...overrides });

async function failure(promise: Promise<unknown>): Promise<DownstreamError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DownstreamError);
  return error as DownstreamError;
}

describe('postToBotpress', () => {
  it('POSTs the event as UTF-8 JSON with the webhook secret, over one kept-alive connection', async () => {
    const before = botpress.delivered.length;
    await postToBotpress(webhook(), event);
    await postToBotpress(webhook(), event);

    const [first, second] = botpress.delivered.slice(before);
    expect(first).toMatchObject({ method: 'POST', path: '/webhook', headers: { 'content-type': 'application/json', 'x-bp-secret': 'bp-secret' } });
    expect(Number(first!.headers['content-length'])).toBe(Buffer.byteLength(first!.rawBody));
    expect(JSON.parse(first!.rawBody)).toEqual(event);
    expect(second!.clientPort).toBe(first!.clientPort);
  });

  it("signs each event as Slack signs its requests, for the bridge's integration: the signature covers the timestamp and the exact body", async () => {
    const before = botpress.delivered.length;
    const now = Date.now();
    await postToBotpress({ ...webhook(), now: () => now }, event);
    const [sent] = botpress.delivered.slice(before);
    const timestamp = sent!.headers[BRIDGE_SIGNATURE_HEADERS.timestamp] as string;
    expect(timestamp).toBe(String(Math.floor(now / 1000)));
    const signature = sent!.headers[BRIDGE_SIGNATURE_HEADERS.signature] as string;
    expect(verifySlackSignature({ signingSecret: 'bp-signing-secret', timestamp, signature, rawBody: sent!.body, nowSeconds: Math.floor(now / 1000) })).toEqual({ valid: true });
    expect(verifySlackSignature({ signingSecret: 'another-secret', timestamp, signature, rawBody: sent!.body, nowSeconds: Math.floor(now / 1000) })).toMatchObject({ valid: false });
  });

  it.each([502, 503, 500, 408])('fails, to be retried, when the webhook answers %i', async (status) => {
    botpress.status = status;
    const error = await failure(postToBotpress(webhook(), event));
    expect(error).not.toBeInstanceOf(PermanentDownstreamError);
    expect(error).toMatchObject({ service: 'botpress', status, message: `botpress: webhook answered ${status}` });
  });

  it("carries a 429's Retry-After", async () => {
    Object.assign(botpress, { status: 429, retryAfterSeconds: 7 });
    const error = await failure(postToBotpress(webhook(), event));
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7_000 });
    expect(error).not.toBeInstanceOf(PermanentDownstreamError);
  });

  it.each([
    [401, 'botpressWebhookSecret'],
    [404, 'botpressWebhookUrl'],
    // Botpress's Webhook integration answers a wrong secret with 400.
    [400, 'Botpress answers a wrong one with 400'],
    [410, 'check the Botpress webhook URL and secret'],
  ])('fails for good, naming the fix, when the webhook answers %i', async (status, fix) => {
    botpress.status = status;
    const error = await failure(postToBotpress(webhook(), event));
    expect(error).toBeInstanceOf(PermanentDownstreamError);
    expect(error).toMatchObject({ code: `http_${status}`, fix: expect.stringContaining(fix) as string });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 11, 1, 12);
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('gives up on a slow webhook after its timeout', async () => {
    botpress.delayMs = 1_000;
    const started = performance.now();
    const error = await failure(postToBotpress(webhook({ timeoutMs: 150 }), event));
    expect(error.message).toBe('botpress: webhook timed out after 150 ms');
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('fails as unreachable when nothing listens, and on a URL it cannot use', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));

    expect((await failure(postToBotpress(webhook({ url: `http://127.0.0.1:${port}/webhook` }), event))).message).toBe('botpress: webhook unreachable');
    expect((await failure(postToBotpress(webhook({ url: 'not a url' }), event))).message).toBe('botpress: webhook unreachable');
  });
});

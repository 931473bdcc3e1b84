import type { ServerResponse } from 'node:http';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackClient } from '../../../shared/slack/client';
import { fetchOverNodeHttp } from '../../../shared/slack/fetch';
import { sendJson, startHttpStandIn, type RecordedRequest, type StandIn } from '../../../local/http-stand-in';

/*
 * The Web API client's transport, end to end: the real @slack/web-api
 * WebClient, our fetch, a loopback server answering as Slack does (and as it
 * does when it rate-limits, fails, is slow or redirects).
 */
let server: StandIn;
const received: RecordedRequest[] = [];
const answers = new Map<string, (res: ServerResponse) => void>();
beforeAll(async () => {
  server = await startHttpStandIn((request, res) => {
    received.push(request);
    const method = request.path.replace(/^\/api\//, '');
    const answer = answers.get(method);
    if (answer) return answer(res);
    sendJson(res, 200, { ok: true, echoed: request.rawBody });
  });
});
afterAll(() => server.close());

const client = (timeoutMs = 1_000): Promise<WebClient> => createSlackClient({ token: 'xoxb-fetch-test', slackApiUrl: `${server.url}/api/`, timeoutMs });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as { code?: string; statusCode?: number; headers?: Record<string, string>; retryAfter?: number });

describe('fetchOverNodeHttp, as the WebClient transport', () => {
  it('POSTs the form-encoded call with the token and hands back the JSON answer', async () => {
    const slack = await client();
    const result = await slack.chat.postMessage({ channel: 'C1', text: 'Héllo — ünïcode' });

    expect(result).toMatchObject({ ok: true });
    const request = received.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat.postMessage' });
    expect(request.headers.authorization).toBe('Bearer xoxb-fetch-test');
    expect(Number(request.headers['content-length'])).toBe(Buffer.byteLength(request.rawBody));
    expect(new URLSearchParams(request.rawBody).get('text')).toBe('Héllo — ünïcode');
    // Over node:http, not the global fetch: undici marks each request it sends with sec-fetch-mode.
    expect(request.headers['sec-fetch-mode']).toBeUndefined();
  });

  it('reports a rate limit with its retry-after, at once', async () => {
    answers.set('users.info', (res) => {
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end('{"ok":false,"error":"ratelimited"}');
    });
    const error = await failure((await client()).users.info({ user: 'U1' }));
    answers.delete('users.info');
    expect(error).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
  });

  it('reports a non-200 answer with its status and headers', async () => {
    answers.set('chat.update', (res) => {
      res.writeHead(503, { 'x-slack-req-id': 'req-1' });
      res.end('upstream unavailable');
    });
    const error = await failure((await client()).chat.update({ channel: 'C1', ts: '1.2', text: 'x' }));
    answers.delete('chat.update');
    expect(error).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    expect(error?.headers?.['x-slack-req-id']).toBe('req-1');
  });

  it('gives up on a slow answer after the client timeout', async () => {
    answers.set('chat.postEphemeral', (res) => {
      setTimeout(() => sendJson(res, 200, { ok: true }), 1_000);
    });
    const started = performance.now();
    const error = await failure((await client(100)).chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'x' }));
    answers.delete('chat.postEphemeral');
    expect(error).toMatchObject({ code: ErrorCode.RequestError });
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('refuses a redirect, as the client asks', async () => {
    answers.set('chat.delete', (res) => {
      res.writeHead(302, { location: 'https://elsewhere.example/' });
      res.end();
    });
    const error = await failure((await client()).chat.delete({ channel: 'C1', ts: '1.2' }));
    answers.delete('chat.delete');
    expect(error).toMatchObject({ code: ErrorCode.RequestError });
  });
});

describe('fetchOverNodeHttp, as a fetch', () => {
  it('reads a header sent twice as one comma-joined value, and the body as text, JSON and bytes', async () => {
    answers.set('multi', (res) => {
      res.setHeader('x-multi', ['a', 'b']);
      sendJson(res, 200, { ok: true, n: 1 });
    });
    const response = await fetchOverNodeHttp(`${server.url}/api/multi`, { method: 'POST', body: 'x=1' });
    answers.delete('multi');

    expect(response).toMatchObject({ ok: true, status: 200, statusText: 'OK', url: `${server.url}/api/multi` });
    expect(response.headers.get('X-Multi')).toBe('a, b');
    expect(response.headers.get('absent')).toBeNull();
    expect(Object.fromEntries(response.headers.entries())).toMatchObject({ 'x-multi': 'a, b', 'content-type': 'application/json' });
    expect(await response.json()).toEqual({ ok: true, n: 1 });
    expect(await response.text()).toBe('{"ok":true,"n":1}');
    expect(Buffer.from(await response.arrayBuffer()).toString('utf8')).toBe('{"ok":true,"n":1}');
  });

  it('refuses a FormData body: the bridge uploads no files', async () => {
    await expect(fetchOverNodeHttp(`${server.url}/api/files.upload`, { method: 'POST', body: new FormData() })).rejects.toThrow(TypeError);
  });
});

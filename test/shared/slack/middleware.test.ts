import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { httpErrorResponder } from '../../../shared/platform/error-responder';
import type { HttpResponse } from '../../../shared/platform/http';
import type { AgentReply } from '../../../shared/domain/ports';
import { slackEventsTriage, slackSignatureVerifier, verifiedBodyOf, type SlackRequestContext } from '../../../shared/slack/middleware';
import { SIGNING_SECRET, signedSlackRequest, type SlackRequestOptions } from '../../support/slack-requests';

function buildHandler() {
  const logger = { warn: vi.fn(), error: vi.fn() };
  const seen: string[] = [];
  const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, SlackRequestContext>()
    .use(httpErrorResponder({ logger }))
    .use(slackSignatureVerifier({ signingSecret: () => Promise.resolve(SIGNING_SECRET) }))
    .handler((_event, context) => {
      seen.push(verifiedBodyOf(context));
      return Promise.resolve<HttpResponse>({ statusCode: 200, body: 'ok' });
    });
  return { handler, logger, seen };
}

const invoke = (handler: ReturnType<typeof buildHandler>['handler'], event: APIGatewayProxyEventV2) =>
  handler(event, {} as never);

const jsonBody = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message', text: 'héllo 👋 &amp; <https://x.test|x>' } });
const formBody = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'claim' }] }))}`;

describe('slackSignatureVerifier middleware', () => {
  it.each([
    ['a JSON Events API body', jsonBody, 'application/json', false, false],
    ['a form-encoded interactivity body', formBody, 'application/x-www-form-urlencoded', false, false],
    ['a base64-encoded non-ASCII body', jsonBody, 'application/json', true, false],
    ['a base64-encoded form body', formBody, 'application/x-www-form-urlencoded', true, false],
    ['mixed-case header names', jsonBody, 'application/json', false, true],
  ])('passes %s through with the exact raw text', async (_case, body, contentType, base64, mixedCaseHeaders) => {
    const { handler, seen } = buildHandler();
    const response = await invoke(handler, signedSlackRequest(body, { contentType, base64, mixedCaseHeaders }));
    expect(response.statusCode).toBe(200);
    expect(seen).toEqual([body]);
  });

  // Options made when the case runs, not when the table is built: a timestamp 301 s ahead, taken at load,
  // is within the 300 s window again once the suite has spent a second or two getting to the case.
  const secondsFromNow = (offset: number) => Math.floor(Date.now() / 1000) + offset;
  it.each<[string, () => SlackRequestOptions, string]>([
    ['a wrong signature', () => ({ secret: 'another-secret' }), 'slack signature: signature_mismatch'],
    ['a stale timestamp', () => ({ timestamp: secondsFromNow(-301) }), 'slack signature: stale_timestamp'],
    ['a timestamp from the future', () => ({ timestamp: secondsFromNow(301) }), 'slack signature: stale_timestamp'],
    ['no signature header', () => ({ headers: { 'x-slack-signature': undefined } }), 'slack signature: missing_signature'],
    ['no timestamp header', () => ({ headers: { 'x-slack-request-timestamp': undefined } }), 'slack signature: missing_timestamp'],
  ])('answers 401 with an opaque body for %s, logging the reason and what it likely means', async (_case, options, reason) => {
    const { handler, logger, seen } = buildHandler();
    const response = await invoke(handler, signedSlackRequest(jsonBody, options()));
    expect(response).toMatchObject({ statusCode: 401, body: JSON.stringify({ error: 'unauthorized' }) });
    expect(response.body).not.toContain('signature');
    expect(logger.warn).toHaveBeenCalledWith('request rejected', { reason, likelyCause: expect.stringMatching(/signing secret|not from Slack|5 minutes/) as string });
    expect(seen).toEqual([]);
  });

  it('checks the signature before anything parses the body: an unsigned malformed body is a 401, not a 400', async () => {
    const { handler } = buildHandler();
    const event = signedSlackRequest('{not json', { secret: 'wrong' });
    const response = await invoke(handler, event);
    expect(response.statusCode).toBe(401);
  });

  it('rejects a signed body whose base64 decoding was skipped (signature covers the bytes)', async () => {
    const { handler } = buildHandler();
    const event = signedSlackRequest(jsonBody, { base64: true });
    const response = await invoke(handler, { ...event, isBase64Encoded: false });
    expect(response.statusCode).toBe(401);
  });
});

const BOT_USER = 'U0BRIDGEBOT';

/** The Slack function's middleware chain up to the triage, with a handler that records what reaches it. */
function buildTriage() {
  const logger = { warn: vi.fn(), error: vi.fn(), info: vi.fn(), debug: vi.fn() };
  const reached: { path: string; agentReply: AgentReply | undefined }[] = [];
  const after = vi.fn();
  const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, SlackRequestContext>()
    .use(httpErrorResponder({ logger }))
    .use({ after })
    .use(slackSignatureVerifier({ signingSecret: () => Promise.resolve(SIGNING_SECRET) }))
    .use(slackEventsTriage({ logger }))
    .handler((event, context) => {
      reached.push({ path: event.rawPath, agentReply: context.agentReply });
      return Promise.resolve<HttpResponse>({ statusCode: 202, body: 'handled' });
    });
  const send = (body: string, path?: string) => handler(signedSlackRequest(body, { path }), {} as never);
  return { send, logger, reached, after };
}

const callback = (event: Record<string, unknown>) =>
  JSON.stringify({
    type: 'event_callback',
    event_id: 'Ev0TRIAGE1',
    authorizations: [{ user_id: BOT_USER, is_bot: true }],
    event: { type: 'message', channel: 'C0SUPPORT1', ts: '1717600001.000100', thread_ts: '1717549330.000001', ...event },
  });

describe('slackEventsTriage middleware', () => {
  it.each([
    ['an echo of a bot post', callback({ user: BOT_USER, bot_id: 'B0BRIDGE01', text: 'Customer: hello' })],
    ['an edit notice', callback({ subtype: 'message_changed', hidden: true })],
    ['a message outside any thread', callback({ user: 'U0AGENT001', text: 'hi', thread_ts: undefined })],
    ['an envelope the bridge does not act on', JSON.stringify({ type: 'app_rate_limited', minute_rate_limited: 1518467820 })],
  ])('answers %s with a 200 before the handler phase', async (_case, body) => {
    const { send, reached, after } = buildTriage();
    expect(await send(body)).toMatchObject({ statusCode: 200, body: '' });
    expect(reached).toEqual([]);
    // middy skips the after phase of an early answer too: nothing was counted, so nothing is published.
    expect(after).not.toHaveBeenCalled();
  });

  it('answers the URL challenge with the challenge', async () => {
    const { send, reached } = buildTriage();
    expect(await send(JSON.stringify({ type: 'url_verification', challenge: 'c-3eZbrw1aBm' }))).toMatchObject({ statusCode: 200, body: 'c-3eZbrw1aBm' });
    expect(reached).toEqual([]);
  });

  it('hands an agent reply in a thread to the handler, in its typed context', async () => {
    const { send, reached, after } = buildTriage();
    expect(await send(callback({ user: 'U0AGENT001', text: 'On it, <@U0AGENT002>' }))).toMatchObject({ statusCode: 202, body: 'handled' });
    expect(reached).toEqual([
      {
        path: '/slack/events',
        agentReply: {
          eventId: 'Ev0TRIAGE1',
          channelId: 'C0SUPPORT1',
          threadTs: '1717549330.000001',
          messageTs: '1717600001.000100',
          userId: 'U0AGENT001',
          markup: 'On it, <@U0AGENT002>',
        },
      },
    ]);
    expect(after).toHaveBeenCalledOnce();
  });

  it('answers a malformed body with a 400 naming the problem', async () => {
    const { send, reached, logger } = buildTriage();
    const response = await send('{"type": "event_callback", ');
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(response.body!)).toEqual({ error: 'bad_request', problems: ['body is not valid JSON'] });
    expect(logger.warn).toHaveBeenCalledWith('bad request', { problems: ['body is not valid JSON'] });
    expect(reached).toEqual([]);
  });

  it('leaves other routes to the handler, their bodies unparsed', async () => {
    const { send, reached } = buildTriage();
    const formBody = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`;
    expect(await send(formBody, '/slack/interactions')).toMatchObject({ statusCode: 202 });
    expect(reached).toEqual([{ path: '/slack/interactions', agentReply: undefined }]);
  });
});

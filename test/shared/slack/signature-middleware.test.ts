import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { httpErrorResponder } from '../../../shared/error-responder';
import type { HttpResponse } from '../../../shared/http';
import { slackSignatureVerifier, type VerifiedSlackEvent } from '../../../shared/slack/signature-middleware';
import { SIGNING_SECRET, signedSlackRequest, type SlackRequestOptions } from '../../support/slack-requests';

function buildHandler(signingSecret: () => string | Promise<string> = () => Promise.resolve(SIGNING_SECRET)) {
  const logger = { warn: vi.fn(), error: vi.fn() };
  const seen: string[] = [];
  const handler = middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(httpErrorResponder({ logger }))
    .use(slackSignatureVerifier({ signingSecret }))
    .handler((event) => {
      seen.push((event as VerifiedSlackEvent).rawBody);
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
  ])('answers 401 with an opaque body for %s, logging the reason', async (_case, options, reason) => {
    const { handler, logger, seen } = buildHandler();
    const response = await invoke(handler, signedSlackRequest(jsonBody, options()));
    expect(response).toMatchObject({ statusCode: 401, body: JSON.stringify({ error: 'unauthorized' }) });
    expect(response.body).not.toContain('signature');
    expect(logger.warn).toHaveBeenCalledWith('request rejected', { reason });
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

  it('takes a secret the provider already holds without a promise, with the same answers', async () => {
    const { handler, logger, seen } = buildHandler(() => SIGNING_SECRET);
    expect((await invoke(handler, signedSlackRequest(jsonBody))).statusCode).toBe(200);
    expect(seen).toEqual([jsonBody]);
    // Thrown synchronously inside middy's before-loop, it must still come out as the opaque 401.
    const response = await invoke(handler, signedSlackRequest(jsonBody, { secret: 'another-secret' }));
    expect(response).toMatchObject({ statusCode: 401, body: JSON.stringify({ error: 'unauthorized' }) });
    expect(logger.warn).toHaveBeenCalledWith('request rejected', { reason: 'slack signature: signature_mismatch' });
  });
});

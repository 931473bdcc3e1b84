import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { httpErrorResponder } from '../../../shared/error-responder';
import type { HttpResponse } from '../../../shared/http';
import type { AgentReply } from '../../../shared/normalize';
import { slackEventsTriage, type AgentReplyRequest } from '../../../shared/slack/events-triage';
import { slackSignatureVerifier } from '../../../shared/slack/signature-middleware';
import { SIGNING_SECRET, signedSlackRequest } from '../../support/slack-requests';

const BOT_USER = 'U0BRIDGEBOT';

/** The Slack function's middleware chain up to the triage, with a handler that records what reaches it. */
function buildHandler() {
  const logger = { warn: vi.fn(), error: vi.fn(), info: vi.fn(), debug: vi.fn() };
  const reached: { path: string; agentReply: AgentReply | undefined }[] = [];
  const after = vi.fn();
  const handler = middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(httpErrorResponder({ logger }))
    .use({ after })
    .use(slackSignatureVerifier({ signingSecret: () => SIGNING_SECRET }))
    .use(slackEventsTriage({ logger }))
    .handler((event) => {
      reached.push({ path: event.rawPath, agentReply: (event as Partial<AgentReplyRequest>).agentReply });
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
    const { send, reached, after } = buildHandler();
    expect(await send(body)).toMatchObject({ statusCode: 200, body: '' });
    expect(reached).toEqual([]);
    // middy skips the after phase of an early answer too: nothing was counted, so nothing is published.
    expect(after).not.toHaveBeenCalled();
  });

  it('answers the URL challenge with the challenge', async () => {
    const { send, reached } = buildHandler();
    expect(await send(JSON.stringify({ type: 'url_verification', challenge: 'c-3eZbrw1aBm' }))).toMatchObject({ statusCode: 200, body: 'c-3eZbrw1aBm' });
    expect(reached).toEqual([]);
  });

  it('hands an agent reply in a thread to the handler, attached to the event', async () => {
    const { send, reached, after } = buildHandler();
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
    const { send, reached, logger } = buildHandler();
    const response = await send('{"type": "event_callback", ');
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(response.body!)).toEqual({ error: 'bad_request', problems: ['body is not valid JSON'] });
    expect(logger.warn).toHaveBeenCalledWith('bad request', { problems: ['body is not valid JSON'] });
    expect(reached).toEqual([]);
  });

  it('leaves other routes to the handler, their bodies unparsed', async () => {
    const { send, reached } = buildHandler();
    const formBody = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`;
    expect(await send(formBody, '/slack/interactions')).toMatchObject({ statusCode: 202 });
    expect(reached).toEqual([{ path: '/slack/interactions', agentReply: undefined }]);
  });
});

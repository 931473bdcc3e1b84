import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { agentReplyIn } from '../agent-replies';
import { routeOf, textResponse, type HttpResponse } from '../http';
import type { AgentReply } from '../normalize';
import { parseSlackEventsBody } from './events';
import type { VerifiedSlackEvent } from './signature-middleware';

/** A verified Events API request that carries a human agent's reply to deliver. */
export type AgentReplyRequest = VerifiedSlackEvent & { readonly agentReply: AgentReply };

/**
 * middy middleware, after the signature check, that answers every Events API
 * request needing no work in the before phase: the URL challenge, envelopes
 * the bridge does not act on, and events that are not an agent's reply, above
 * all Slack's echoes of bot posts, the commonest event by far. As with
 * @middy/warmup's answer to a warm-up ping, middy then skips the handler
 * phase, whose promise race and after-middleware loop were most of what
 * middy cost an echo (~0.8 µs of ~9). What reaches the handler is an agent's
 * reply, attached to the event; other routes pass through untouched.
 */
export function slackEventsTriage(options: { logger: Pick<Logger, 'info' | 'debug'> }): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse> {
  const { logger } = options;
  return {
    before: (request) => {
      const event = request.event as VerifiedSlackEvent;
      if (routeOf(event) !== 'POST /slack/events') return undefined;
      const body = parseSlackEventsBody(event.rawBody);
      switch (body.type) {
        case 'url_verification':
          return textResponse(200, body.challenge);
        case 'other':
          logger.info('slack envelope ignored', { envelopeType: body.envelopeType });
          return textResponse(200, '');
        case 'event_callback': {
          const reply = agentReplyIn(body, logger);
          if (!reply) return textResponse(200, '');
          (event as { agentReply?: AgentReply }).agentReply = reply;
          return undefined;
        }
      }
    },
  };
}

import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleAgentAction } from '../../shared/agent-controls';
import { relayAgentReply, type RelayOutcome } from '../../shared/agent-replies';
import { readSettings, secretFrom } from '../../shared/config';
import { DownstreamError } from '../../shared/errors';
import { httpErrorResponder } from '../../shared/error-responder';
import { getHeader, jsonResponse, routeOf, textResponse, type HttpResponse } from '../../shared/http';
import { logger } from '../../shared/logger';
import { BridgeMetric } from '../../shared/metric-names';
import { countMetric, publishMetrics } from '../../shared/metrics';
import { MIDDY_OPTIONS } from '../../shared/middy-options';
import type { AgentReply } from '../../shared/normalize';
import { createRuntime } from '../../shared/runtime';
import { slackEventsTriage, type AgentReplyRequest } from '../../shared/slack/events-triage';
import { parseInteraction } from '../../shared/slack/interactions';
import { slackSignatureVerifier, type VerifiedSlackEvent } from '../../shared/slack/signature-middleware';

// Module scope: read once per container. A missing setting fails the init, naming it.
const runtime = createRuntime(readSettings(), ['slackSigningSecret', 'slackBotToken', 'botpressWebhookUrl', 'botpressWebhookSecret']);
const dependencies = { ...runtime, logger };

async function deliverAgentReply(reply: AgentReply, event: VerifiedSlackEvent): Promise<HttpResponse> {
  const retryNum = Number(getHeader(event, 'x-slack-retry-num') ?? 0) || 0;
  let result: RelayOutcome;
  try {
    result = await relayAgentReply(reply, { retryNum }, dependencies);
  } catch (error) {
    if (error instanceof DownstreamError && error.service === 'botpress') countMetric(BridgeMetric.DeliveryRetries);
    throw error;
  }
  if (result.outcome === 'forwarded') countMetric(BridgeMetric.AgentRepliesDelivered);
  if (result.outcome === 'undeliverable') countMetric(BridgeMetric.DeliveryFailures);
  return responseFor(result);
}

/** Claim / Resolve buttons. Slack shows an error to the agent unless it gets a 200 within 3 s. */
async function handleSlackInteraction(event: VerifiedSlackEvent): Promise<HttpResponse> {
  const interaction = parseInteraction(event.rawBody);
  if (interaction.type === 'other') {
    logger.info('slack interaction ignored', { interaction: interaction.description });
  } else {
    const outcome = await handleAgentAction(interaction.action, dependencies);
    if (outcome === 'claimed') countMetric(BridgeMetric.HandoffsClaimed);
    if (outcome === 'resolved') countMetric(BridgeMetric.HandoffsResolved);
    if (outcome === 'bot_unreachable') countMetric(BridgeMetric.DeliveryFailures);
  }
  return textResponse(200, '');
}

// Not async itself: returning another async function's promise from an async function costs extra microtask turns.
function route(event: VerifiedSlackEvent): Promise<HttpResponse> {
  switch (routeOf(event)) {
    case 'POST /slack/events': {
      const { agentReply } = event as Partial<AgentReplyRequest>;
      // slackEventsTriage has answered every other request on this route.
      if (!agentReply) throw new Error('an Events API request reached the handler without slackEventsTriage');
      return deliverAgentReply(agentReply, event);
    }
    case 'POST /slack/interactions':
      return handleSlackInteraction(event);
    default:
      return Promise.resolve(jsonResponse(404, { error: 'not_found' }));
  }
}

function responseFor(result: RelayOutcome): HttpResponse {
  // Another attempt of this very event is mid-flight: a 503 makes Slack try again later, when it has settled.
  if (result.outcome === 'in_flight') return jsonResponse(503, { error: 'in_flight', retryable: true });
  return textResponse(200, '');
}

export const handler = middy<APIGatewayProxyEventV2, HttpResponse>(MIDDY_OPTIONS)
  .use(httpErrorResponder({ logger }))
  .use(publishMetrics())
  .use(slackSignatureVerifier({ signingSecret: () => secretFrom(runtime.secrets, 'slackSigningSecret') }))
  .use(slackEventsTriage({ logger }))
  .handler((event) => route(event as VerifiedSlackEvent));

import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleAgentAction } from '../../shared/agent-controls';
import { acceptAgentReply } from '../../shared/agent-replies';
import { readSettings, secretFrom } from '../../shared/config';
import { httpErrorResponder } from '../../shared/error-responder';
import { jsonResponse, routeOf, textResponse, type HttpResponse } from '../../shared/http';
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
const runtime = createRuntime(readSettings(), { secrets: ['slackSigningSecret'] });
const dependencies = { ...runtime, logger };

/** Puts the reply on the delivery queue and answers: Slack hears 200 in milliseconds, whatever Botpress is doing. */
async function takeAgentReply(reply: AgentReply): Promise<HttpResponse> {
  if ((await acceptAgentReply(reply, dependencies)) === 'queued') countMetric(BridgeMetric.AgentRepliesQueued);
  return textResponse(200, '');
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
      return takeAgentReply(agentReply);
    }
    case 'POST /slack/interactions':
      return handleSlackInteraction(event);
    default:
      return Promise.resolve(jsonResponse(404, { error: 'not_found' }));
  }
}

export const handler = middy<APIGatewayProxyEventV2, HttpResponse>(MIDDY_OPTIONS)
  .use(httpErrorResponder({ logger }))
  .use(publishMetrics())
  .use(slackSignatureVerifier({ signingSecret: () => secretFrom(runtime.secrets, 'slackSigningSecret') }))
  .use(slackEventsTriage({ logger }))
  .handler((event) => route(event as VerifiedSlackEvent));

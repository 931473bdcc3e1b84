import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleAgentAction } from '../../shared/domain/controls';
import { showOpenQueue } from '../../shared/domain/queue-view';
import { acceptAgentReply } from '../../shared/domain/replies';
import { readSettings, secretFrom } from '../../shared/platform/config';
import { httpErrorResponder } from '../../shared/platform/error-responder';
import { jsonResponse, routeOf, textResponse, type HttpResponse } from '../../shared/platform/http';
import { logContext, logger } from '../../shared/platform/logger';
import { startTracing } from '../../shared/platform/tracing';
import { BridgeMetric } from '../../shared/platform/metric-names';
import { countMetric, publishMetrics } from '../../shared/platform/metrics';
import { MIDDY_OPTIONS } from '../../shared/platform/middy-options';
import { parseInteraction } from '../../shared/slack/interactions';
import { tellPresser } from '../../shared/slack/respond';
import { OVER_BUDGET, withinBudget } from '../../shared/platform/budget';
import { RetryLaterError } from '../../shared/platform/errors';
import { slackEventsTriage, slackSignatureVerifier, verifiedBodyOf, type SlackRequestContext } from '../../shared/slack/middleware';
import { wire } from '../wiring/core';

/**
 * How long the work of a request may take before Slack is answered anyway:
 * Slack gives up after 3 s, cold start and network included. A reply not
 * queued by then is answered 503, which Slack retries; a press 200, with a
 * private word to press again.
 */
const WORK_BUDGET_MS = 2_000;

// Module scope: read once per container. A missing setting fails the init, naming it.
const settings = readSettings();
const tracing = await startTracing(settings);
const wiring = wire(settings, { secrets: ['slackSigningSecret'], instrument: tracing?.instrument });
const dependencies = { ...wiring, logger, notePrefixes: settings.internalNotePrefixes };
const presser = { apiOrigin: settings.slackApiUrl && new URL(settings.slackApiUrl).origin, logger };
const lateFailure = (error: unknown) => logger.warn('work Slack was answered without failed later', { error: error as Error });

const PRESS_METRICS = {
  claimed: BridgeMetric.HandoffsClaimed,
  released: BridgeMetric.HandoffsReleased,
  'taken-over': BridgeMetric.HandoffsTakenOver,
  resolved: BridgeMetric.HandoffsResolved,
} as const;

/** Slack's two routes: an agent's reply or the Home tab opened (the triage answered every other event), and the card's buttons. */
async function route(event: APIGatewayProxyEventV2, context: SlackRequestContext): Promise<HttpResponse> {
  switch (routeOf(event)) {
    case 'POST /slack/events': {
      if (context.homeOpened) {
        // Through the queue like every post to Slack; Slack retries a 503.
        const shown = await withinBudget(showOpenQueue(context.homeOpened, dependencies), WORK_BUDGET_MS, lateFailure);
        if (shown === OVER_BUDGET) throw new RetryLaterError(`the queue view was not queued within ${WORK_BUDGET_MS} ms`);
        return textResponse(200, '');
      }
      // slackEventsTriage has answered every other request on this route.
      if (!context.agentReply) throw new Error('an Events API request reached the handler without slackEventsTriage');
      // On the delivery queue, then answered: Slack hears 200 in milliseconds, whatever Botpress is doing.
      const accepted = await withinBudget(acceptAgentReply(context.agentReply, dependencies), WORK_BUDGET_MS, lateFailure);
      if (accepted === OVER_BUDGET) throw new RetryLaterError(`the reply was not queued within ${WORK_BUDGET_MS} ms`);
      if (accepted === 'queued') countMetric(BridgeMetric.AgentRepliesQueued);
      return textResponse(200, '');
    }
    case 'POST /slack/interactions': {
      // Slack shows the agent an error unless it gets a 200 within 3 s.
      const interaction = parseInteraction(verifiedBodyOf(context));
      if (interaction.type === 'other') {
        logger.info('slack interaction ignored', { interaction: interaction.description });
        return textResponse(200, '');
      }
      const outcome = await withinBudget(handleAgentAction(interaction.action, dependencies), WORK_BUDGET_MS, lateFailure);
      if (outcome === OVER_BUDGET) await tellPresser(interaction.responseUrl, { kind: 'press-not-confirmed', action: interaction.action.kind }, presser);
      else if (typeof outcome === 'object') await tellPresser(interaction.responseUrl, outcome.unchanged, presser);
      else countMetric(PRESS_METRICS[outcome]);
      return textResponse(200, '');
    }
    default:
      return jsonResponse(404, { error: 'not_found' });
  }
}

export const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, SlackRequestContext>(MIDDY_OPTIONS)
  .use(tracing ? [tracing.middleware] : [])
  .use(logContext<APIGatewayProxyEventV2>((event) => event.requestContext.requestId))
  .use(httpErrorResponder({ logger }))
  .use(publishMetrics())
  .use(slackSignatureVerifier({ signingSecret: () => secretFrom(wiring.secrets, 'slackSigningSecret') }))
  .use(slackEventsTriage({ logger }))
  .handler(route);

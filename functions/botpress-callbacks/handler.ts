import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { s3FileStore } from '../../shared/aws/s3-files';
import { authenticatedBodyOf, bearerTokenAuth, type BotpressRequestContext } from '../../shared/botpress/auth';
import {
  CustomerMessageRequestSchema,
  EndRequestSchema,
  HandoffRequestSchema,
  parseJsonBody,
  type EndAnswer,
  type HandoffAnswer,
  type MessageAnswer,
} from '../../shared/botpress/contract';
import { FILE_ROUTE_PREFIX } from '../../shared/domain/files/links';
import { openFileLink } from '../../shared/domain/files/open-link';
import { endHandoff, forwardCustomerMessage, openHandoff, type HandoffDependencies } from '../../shared/domain/handoffs';
import { readSettings, secretFrom } from '../../shared/platform/config';
import { PermanentDownstreamError } from '../../shared/platform/errors';
import { httpErrorResponder } from '../../shared/platform/error-responder';
import { jsonResponse, routeOf, type HttpResponse } from '../../shared/platform/http';
import { logContext, logger } from '../../shared/platform/logger';
import { startTracing } from '../../shared/platform/tracing';
import { BridgeMetric } from '../../shared/platform/metric-names';
import { countMetric, publishMetrics } from '../../shared/platform/metrics';
import { MIDDY_OPTIONS } from '../../shared/platform/middy-options';
import { wire } from '../wiring/core';
import { wireDesk } from '../wiring/desk';
import { linkKeyOf } from '../wiring/files';

// Module scope: read once per container. A missing setting fails the init, naming it.
const settings = readSettings(process.env, ['supportChannelId', 'fileBucket']);
const tracing = await startTracing(settings);
const wiring = wire(settings, { secrets: ['bridgeApiToken', 'slackBotToken'], instrument: tracing?.instrument });
const deps: HandoffDependencies = { ...wiring, desk: wireDesk(wiring), supportChannelId: settings.supportChannelId, queueChannels: settings.queueChannels, queuedOpeningMs: settings.deliveryGiveUpMs, logger };
const fileLinks = {
  files: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
  linkKey: linkKeyOf(settings, wiring.secrets),
  logger,
};

/** A customer's browser opening a link to an agent's file: the link's signature is its proof, not the bearer token. */
const isFileLink = (event: APIGatewayProxyEventV2) => event.requestContext.http.method === 'GET' && event.rawPath.startsWith(FILE_ROUTE_PREFIX);

async function route(event: APIGatewayProxyEventV2, context: BotpressRequestContext): Promise<HttpResponse> {
  if (isFileLink(event)) return openFileLink(event.rawPath, Object.fromEntries(new URLSearchParams(event.rawQueryString)), fileLinks);
  switch (routeOf(event)) {
    case 'POST /botpress/handoff': {
      const result = await openHandoff(parseJsonBody(authenticatedBodyOf(context), HandoffRequestSchema), deps).catch((error: unknown) => {
        // Refused for good (the app not in the channel, a revoked token): counted, so that the alarm calls a person.
        if (error instanceof PermanentDownstreamError && error.service === 'slack') countMetric(BridgeMetric.SlackRefusals);
        throw error;
      });
      if (result.status === 'created') countMetric(BridgeMetric.HandoffsOpened);
      if (result.status === 'queued') countMetric(BridgeMetric.HandoffsQueued);
      return jsonResponse(200, result satisfies HandoffAnswer);
    }
    case 'POST /botpress/message': {
      const { handoffActive } = await forwardCustomerMessage(parseJsonBody(authenticatedBodyOf(context), CustomerMessageRequestSchema), deps);
      return jsonResponse(200, { handoffActive } satisfies MessageAnswer);
    }
    case 'POST /botpress/end': {
      const { status, changed } = await endHandoff(parseJsonBody(authenticatedBodyOf(context), EndRequestSchema), deps);
      if (changed) countMetric(BridgeMetric.HandoffsEnded);
      return jsonResponse(200, { status } satisfies EndAnswer);
    }
    default:
      return jsonResponse(404, { error: 'not_found' });
  }
}

export const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, BotpressRequestContext>(MIDDY_OPTIONS)
  .use(tracing ? [tracing.middleware] : [])
  .use(logContext<APIGatewayProxyEventV2>((event) => event.requestContext.requestId))
  .use(httpErrorResponder({ logger }))
  .use(publishMetrics())
  .use(bearerTokenAuth({ token: () => secretFrom(wiring.secrets, 'bridgeApiToken'), exempt: isFileLink }))
  .handler(route);

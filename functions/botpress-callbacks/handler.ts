import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bearerTokenAuth, type AuthenticatedEvent } from '../../shared/bearer-auth';
import { CustomerMessageRequestSchema, EndRequestSchema, HandoffRequestSchema, parseJsonBody } from '../../shared/botpress-requests';
import { readSettings, secretFrom } from '../../shared/config';
import { PermanentDownstreamError } from '../../shared/errors';
import { httpErrorResponder } from '../../shared/error-responder';
import { s3FileStore } from '../../shared/files/file-store';
import { FILE_ROUTE_PREFIX, fileLinkKey } from '../../shared/files/links';
import { openFileLink } from '../../shared/files/open-link';
import { endHandoff, forwardCustomerMessage, openHandoff, type HandoffDependencies } from '../../shared/handoffs';
import { jsonResponse, routeOf, type HttpResponse } from '../../shared/http';
import { logger } from '../../shared/logger';
import { BridgeMetric } from '../../shared/metric-names';
import { countMetric, publishMetrics } from '../../shared/metrics';
import { MIDDY_OPTIONS } from '../../shared/middy-options';
import { createRuntime } from '../../shared/runtime';

// Module scope: read once per container. A missing setting fails the init, naming it.
const settings = readSettings(process.env, ['supportChannelId', 'fileBucket']);
const runtime = createRuntime(settings, { secrets: ['bridgeApiToken', 'slackBotToken'] });
const deps: HandoffDependencies = { ...runtime, supportChannelId: settings.supportChannelId, queuedOpeningMs: settings.deliveryGiveUpMs, logger };
const fileLinks = {
  files: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
  linkKey: async () => fileLinkKey(await secretFrom(runtime.secrets, 'bridgeApiToken')),
  logger,
};

/** A customer's browser opening a link to an agent's file: the link's signature is its proof, not the bearer token. */
const isFileLink = (event: APIGatewayProxyEventV2) => event.requestContext.http.method === 'GET' && event.rawPath.startsWith(FILE_ROUTE_PREFIX);

async function route(event: AuthenticatedEvent): Promise<HttpResponse> {
  if (isFileLink(event)) return openFileLink(event.rawPath, Object.fromEntries(new URLSearchParams(event.rawQueryString)), fileLinks);
  switch (routeOf(event)) {
    case 'POST /botpress/handoff': {
      const result = await openHandoff(parseJsonBody(event.rawBody, HandoffRequestSchema), deps).catch((error: unknown) => {
        // Refused for good (the app not in the channel, a revoked token): counted, so that the alarm calls a person.
        if (error instanceof PermanentDownstreamError && error.service === 'slack') countMetric(BridgeMetric.SlackRefusals);
        throw error;
      });
      if (result.status === 'created') countMetric(BridgeMetric.HandoffsOpened);
      if (result.status === 'queued') countMetric(BridgeMetric.HandoffsQueued);
      return jsonResponse(200, result);
    }
    case 'POST /botpress/message': {
      const { handoffActive } = await forwardCustomerMessage(parseJsonBody(event.rawBody, CustomerMessageRequestSchema), deps);
      return jsonResponse(200, { handoffActive });
    }
    case 'POST /botpress/end': {
      const { status, changed } = await endHandoff(parseJsonBody(event.rawBody, EndRequestSchema), deps);
      if (changed) countMetric(BridgeMetric.HandoffsEnded);
      return jsonResponse(200, { status });
    }
    default:
      return jsonResponse(404, { error: 'not_found' });
  }
}

export const handler = middy<APIGatewayProxyEventV2, HttpResponse>(MIDDY_OPTIONS)
  .use(httpErrorResponder({ logger }))
  .use(publishMetrics())
  .use(bearerTokenAuth({ token: () => secretFrom(runtime.secrets, 'bridgeApiToken'), exempt: isFileLink }))
  .handler((event) => route(event as AuthenticatedEvent));

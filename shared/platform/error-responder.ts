import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AuthenticationError, BadRequestError, ConfigError, DownstreamError, PermanentDownstreamError, RetryLaterError } from './errors';
import { jsonResponse, type HttpResponse } from './http';
import { BridgeMetric } from './metric-names';
import { countMetric } from './metrics';

/**
 * Maps the error family to HTTP answers, in one place for both functions:
 * 401 opaque, 400 naming the problems, 503 for a downstream failure or a
 * concurrent attempt (the sender retries), 502 for a refusal retrying cannot
 * change, 500 otherwise. The reason goes to the log; the body carries only a
 * refusal's code and fix, which name no secret. The failing service is logged
 * as `downstream`: Powertools keeps `service` for the bridge's own name.
 */
/**
 * A request refused for its signature or token, counted where it is refused
 * (the invocation's metrics are published as it fails): above a few, the
 * alarm says a secret likely no longer matches the sender's.
 */
export function refusal(reason: string, likelyCause: string): AuthenticationError {
  countMetric(BridgeMetric.RequestsRefused);
  return new AuthenticationError(reason, likelyCause);
}

export function errorToResponse(error: unknown, logger: Pick<Logger, 'warn' | 'error'>): HttpResponse {
  if (error instanceof AuthenticationError) {
    logger.warn('request rejected', { reason: error.reason, ...(error.likelyCause ? { likelyCause: error.likelyCause } : {}) });
    return jsonResponse(401, { error: 'unauthorized' });
  }
  if (error instanceof BadRequestError) {
    logger.warn('bad request', { problems: error.problems });
    return jsonResponse(400, { error: 'bad_request', problems: error.problems });
  }
  if (error instanceof PermanentDownstreamError) {
    // Retrying cannot help, so not a 503: the sender is told what a person must fix.
    logger.error('downstream refusal', { downstream: error.service, code: error.code, fix: error.fix, error });
    return jsonResponse(502, { error: 'refused', service: error.service, code: error.code, fix: error.fix, retryable: false });
  }
  if (error instanceof DownstreamError) {
    logger.error('downstream failure', { downstream: error.service, status: error.status, error });
    const response = jsonResponse(503, { error: 'unavailable', retryable: true });
    if (error.retryAfterMs !== undefined) response.headers = { ...response.headers, 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) };
    return response;
  }
  if (error instanceof RetryLaterError) {
    logger.warn('request must be retried', { reason: error.message });
    return jsonResponse(503, { error: 'busy', retryable: true });
  }
  if (error instanceof ConfigError) {
    logger.error('configuration error', { missing: error.missing, error });
    return jsonResponse(500, { error: 'misconfigured' });
  }
  logger.error('unexpected error', { error: error instanceof Error ? error : String(error) });
  return jsonResponse(500, { error: 'internal' });
}

/** The outermost middleware of both functions: nothing escapes as a Lambda crash. */
export function httpErrorResponder(options: { logger: Pick<Logger, 'warn' | 'error'> }): MiddlewareObj<unknown, HttpResponse> {
  return {
    onError: (request) => {
      request.response = errorToResponse(request.error, options.logger);
    },
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AuthenticationError } from './errors';
import { getHeader, rawBodyText, type HttpResponse } from './http';

/** An event whose caller proved the bridge API token, with its body decoded once as UTF-8. */
export type AuthenticatedEvent = APIGatewayProxyEventV2 & { readonly rawBody: string };

/**
 * Compares in constant time whatever the lengths: both sides are hashed to 32
 * bytes first, so neither the token's content nor its length leaks through timing.
 */
export function tokensMatch(received: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(received), digest(expected)) && expected.length > 0;
}

/**
 * middy middleware: `Authorization: Bearer <bridge API token>` or an opaque 401.
 * `exempt` names the requests that carry their own proof (a signed file link, opened by a customer's browser).
 */
export function bearerTokenAuth(options: {
  token: () => string | Promise<string>;
  exempt?: (event: APIGatewayProxyEventV2) => boolean;
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse> {
  return {
    before: async (request) => {
      if (options.exempt?.(request.event)) return;
      const header = getHeader(request.event, 'authorization');
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw new AuthenticationError(header ? 'malformed authorization header' : 'missing bearer token');
      if (!tokensMatch(match[1]!, await options.token())) throw new AuthenticationError('wrong bearer token');
      (request.event as { rawBody?: string }).rawBody = rawBodyText(request.event);
    },
  };
}

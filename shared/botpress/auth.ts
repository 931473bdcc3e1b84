import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { refusal } from '../platform/error-responder';
import { getHeader, rawBodyText, type HttpResponse } from '../platform/http';

/** What bearerTokenAuth leaves for the handler, through middy's typed request.context. */
export interface BotpressRequestContext extends Context {
  /** The body of a request whose caller proved the bridge API token, decoded once as UTF-8. */
  authenticatedBody?: string;
}

/**
 * Compares in constant time whatever the lengths: both sides are hashed to 32
 * bytes first, so neither the token's content nor its length leaks through timing.
 */
export function tokensMatch(received: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(received), digest(expected)) && expected.length > 0;
}

const defaults = {
  /** The requests that carry their own proof (a signed file link, opened by a customer's browser). */
  exempt: (_event: APIGatewayProxyEventV2): boolean => false,
};

/** middy middleware: `Authorization: Bearer <bridge API token>` or an opaque 401, the reason logged. */
export function bearerTokenAuth(options: {
  token: () => Promise<string>;
  exempt?: (event: APIGatewayProxyEventV2) => boolean;
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, BotpressRequestContext> {
  const { token, exempt } = { ...defaults, ...options };
  return {
    before: async (request) => {
      if (exempt(request.event)) return;
      const header = getHeader(request.event, 'authorization');
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw refusal(header ? 'malformed authorization header' : 'missing bearer token', 'no bridge API token was sent: the caller is not the bridge’s Botpress integration or snippets, or they are not configured');
      if (!tokensMatch(match[1]!, await token())) {
        throw refusal(
          'wrong bearer token',
          'the token Botpress sends does not match bridgeApiToken in the bridge’s secret: set the integration’s Bridge API token (or the snippets’ bridgeToken configuration variable) to it',
        );
      }
      request.context.authenticatedBody = rawBodyText(request.event);
    },
  };
}

/** The authenticated body; a handler wired without bearerTokenAuth before it fails loudly (a 500), never reads an unauthenticated body. */
export function authenticatedBodyOf(context: BotpressRequestContext): string {
  if (context.authenticatedBody === undefined) throw new Error('bearerTokenAuth must run before this');
  return context.authenticatedBody;
}

import { createSecretKey, type KeyObject } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AuthenticationError } from '../errors';
import { getHeader, rawBodyBytes, type HttpResponse } from '../http';
import { SLACK_SIGNATURE_TOLERANCE_SECONDS, verifySlackSignature } from './signature';

/** An API Gateway event whose Slack signature checked out, with its body decoded once as UTF-8. */
export type VerifiedSlackEvent = APIGatewayProxyEventV2 & { readonly rawBody: string };

export interface SlackSignatureVerifierOptions {
  /** Resolved per request so that a cached, rotating secret provider can back it; a string is used without a promise turn. */
  readonly signingSecret: () => string | Promise<string>;
  readonly nowSeconds?: () => number;
  readonly toleranceSeconds?: number;
}

const defaults = {
  nowSeconds: (): number => Math.floor(Date.now() / 1000),
  toleranceSeconds: SLACK_SIGNATURE_TOLERANCE_SECONDS,
};

/**
 * middy middleware that authenticates a Slack request before anything parses
 * its body. Works on the raw bytes, so JSON (Events API) and form-encoded
 * (interactivity, slash commands) bodies verify alike. A failure throws
 * AuthenticationError, which the error responder turns into an opaque 401.
 */
export function slackSignatureVerifier(
  options: SlackSignatureVerifierOptions,
): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse> {
  const { signingSecret, nowSeconds, toleranceSeconds } = { ...defaults, ...options };
  // The HMAC key, imported once per secret value rather than on every request.
  let key: { secret: string; object: KeyObject } | undefined;
  const keyFor = (secret: string): KeyObject => {
    if (key?.secret !== secret) key = { secret, object: createSecretKey(Buffer.from(secret, 'utf8')) };
    return key.object;
  };
  const verify = (event: APIGatewayProxyEventV2, secret: string): void => {
    const { body, isBase64Encoded } = event;
    // A text body is hashed as it is (HMAC encodes it as UTF-8, the bytes Slack sent): no Buffer copy to make.
    const rawBody = isBase64Encoded ? rawBodyBytes(event) : (body ?? '');
    const result = verifySlackSignature({
      signingSecret: keyFor(secret),
      timestamp: getHeader(event, 'x-slack-request-timestamp'),
      signature: getHeader(event, 'x-slack-signature'),
      rawBody,
      nowSeconds: nowSeconds(),
      toleranceSeconds,
    });
    if (!result.valid) throw new AuthenticationError(`slack signature: ${result.reason}`);
    (event as { rawBody?: string }).rawBody = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  };
  return {
    // Not async: with the secret in memory, the check makes no promise (a Slack bot echo involves none at all).
    before: (request) => {
      const secret = signingSecret();
      return typeof secret === 'string' ? verify(request.event, secret) : secret.then((value) => verify(request.event, value));
    },
  };
}

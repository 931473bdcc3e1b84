import { createSecretKey, type KeyObject } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AgentReply } from '../domain/ports';
import { refusal } from '../platform/error-responder';
import { getHeader, rawBodyBytes, routeOf, textResponse, type HttpResponse } from '../platform/http';
import { SLACK_SIGNATURE_TOLERANCE_SECONDS, verifySlackSignature } from '../platform/hmac';
import type { Log } from '../platform/logger';
import { parseSlackEventsBody } from './events';
import { agentReplyIn } from './replies';

/*
 * The Slack function's middlewares. Each hands what it found to the handler
 * through middy's typed request.context: nothing is written onto the event,
 * and no handler casts.
 */

/** What the Slack middlewares leave for the handler. */
export interface SlackRequestContext extends Context {
  /** The body whose signature checked out, decoded once as UTF-8 (slackSignatureVerifier). */
  verifiedBody?: string;
  /** The agent's reply an Events API request carries (slackEventsTriage). */
  agentReply?: AgentReply;
  /** Or an agent opening the app's Home tab (app_home_opened): they are shown the open handoffs. */
  homeOpened?: { readonly userId: string; readonly eventId: string };
}

type SlackMiddleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, SlackRequestContext>;

export interface SlackSignatureVerifierOptions {
  /** Resolved per request so that a cached, rotating secret provider can back it. */
  readonly signingSecret: () => Promise<string>;
  readonly nowSeconds?: () => number;
  readonly toleranceSeconds?: number;
}

const defaults = {
  nowSeconds: (): number => Math.floor(Date.now() / 1000),
  toleranceSeconds: SLACK_SIGNATURE_TOLERANCE_SECONDS,
};

/** What a refusal most likely means, for the operator reading the log (never the caller). */
const LIKELY_CAUSES: Readonly<Record<Extract<ReturnType<typeof verifySlackSignature>, { valid: false }>['reason'], string>> = {
  signature_mismatch: 'the signing secret in the bridge’s secret (slackSigningSecret) does not match the Slack app’s (Basic Information > App Credentials > Signing Secret)',
  stale_timestamp: 'the request was signed more than 5 minutes ago: a replay, or this host’s clock is off',
  missing_signature: 'the request is not signed: it is not from Slack',
  missing_timestamp: 'the request is not signed: it is not from Slack',
  malformed_timestamp: 'the request is not signed as Slack signs: it is not from Slack',
};

/**
 * Authenticates a Slack request before anything parses its body. Works on the
 * raw bytes, so JSON (Events API) and form-encoded (interactivity) bodies
 * verify alike. A failure throws AuthenticationError, which the error
 * responder turns into an opaque 401 with the reason logged.
 */
export function slackSignatureVerifier(options: SlackSignatureVerifierOptions): SlackMiddleware {
  const { signingSecret, nowSeconds, toleranceSeconds } = { ...defaults, ...options };
  // The HMAC key, imported once per secret value rather than on every request.
  let key: { secret: string; object: KeyObject } | undefined;
  const keyFor = (secret: string): KeyObject => {
    if (key?.secret !== secret) key = { secret, object: createSecretKey(Buffer.from(secret, 'utf8')) };
    return key.object;
  };
  const verify = (event: APIGatewayProxyEventV2, context: SlackRequestContext, secret: string): void => {
    // A text body is hashed as it is (HMAC encodes it as UTF-8, the bytes Slack sent).
    const rawBody = event.isBase64Encoded ? rawBodyBytes(event) : (event.body ?? '');
    const result = verifySlackSignature({
      signingSecret: keyFor(secret),
      timestamp: getHeader(event, 'x-slack-request-timestamp'),
      signature: getHeader(event, 'x-slack-signature'),
      rawBody,
      nowSeconds: nowSeconds(),
      toleranceSeconds,
    });
    if (!result.valid) throw refusal(`slack signature: ${result.reason}`, LIKELY_CAUSES[result.reason]);
    context.verifiedBody = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  };
  return {
    before: (request) => signingSecret().then((secret) => verify(request.event, request.context, secret)),
  };
}

/**
 * After the signature check, answers every Events API request that needs no
 * work in the before phase: the URL challenge, envelopes the bridge does not
 * act on, and events that are not an agent's reply (above all Slack's echoes
 * of bot posts, the commonest event by far). As with @middy/warmup's answer
 * to a warm-up ping, middy then skips the handler. What reaches the handler
 * is an agent's reply, or an agent opening the app's Home tab, in
 * request.context; other routes pass through.
 */
export function slackEventsTriage(options: { logger: Pick<Log, 'info' | 'debug'> }): SlackMiddleware {
  const { logger } = options;
  return {
    before: (request) => {
      const { event, context } = request;
      if (routeOf(event) !== 'POST /slack/events') return undefined;
      const body = parseSlackEventsBody(verifiedBodyOf(context));
      switch (body.type) {
        case 'url_verification':
          return textResponse(200, body.challenge);
        case 'other':
          logger.info('slack envelope ignored', { envelopeType: body.envelopeType });
          return textResponse(200, '');
        case 'event_callback': {
          const homeOpener = homeOpenerIn(body.event);
          if (homeOpener) {
            context.homeOpened = { userId: homeOpener, eventId: body.event_id };
            return undefined;
          }
          const reply = agentReplyIn(body, logger);
          if (!reply) return textResponse(200, '');
          // Slack's retry of an event it got no answer to in time: newer replies may have gone ahead of it.
          context.agentReply = getHeader(event, 'x-slack-retry-num') === undefined ? reply : { ...reply, resent: true };
          return undefined;
        }
      }
    },
  };
}

/** Who opened the app's Home tab (https://docs.slack.dev/reference/events/app_home_opened); not its Messages or About tab. */
function homeOpenerIn(event: { readonly type: string } & Record<string, unknown>): string | undefined {
  if (event.type !== 'app_home_opened' || event.tab !== 'home') return undefined;
  return typeof event.user === 'string' && event.user !== '' ? event.user : undefined;
}

/** The verified body; a handler or middleware wired without slackSignatureVerifier before it fails loudly (a 500), never reads an unverified body. */
export function verifiedBodyOf(context: SlackRequestContext): string {
  if (context.verifiedBody === undefined) throw new Error('slackSignatureVerifier must run before this');
  return context.verifiedBody;
}

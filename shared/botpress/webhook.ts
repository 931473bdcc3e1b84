import type { BotChannel } from '../domain/ports';
import { DownstreamError, PermanentDownstreamError } from '../platform/errors';
import { signSlackRequest } from '../platform/hmac';
import { RequestTimeout, sendHttpRequest, type HttpAnswer } from '../platform/node-http';
import { BRIDGE_SIGNATURE_HEADERS, type BridgeEvent } from './contract';

export interface BotpressWebhook {
  readonly url: string;
  readonly secret: string;
  /** Signs each event (BRIDGE_SIGNATURE_HEADERS), for the bridge's Botpress integration to verify. */
  readonly signingSecret: string;
  /** Bounds one POST; the delivery function retries a POST that timed out. */
  readonly timeoutMs: number;
  readonly now?: () => number;
}


/**
 * POSTs one event to Botpress, authenticated twice, so that either route takes
 * it: the `x-bp-secret` header the Webhook integration checks, and the
 * signature the bridge's own integration checks (BRIDGE_SIGNATURE_HEADERS). A timeout, a network failure, a 5xx, 408 or 429 (with
 * its Retry-After) is a DownstreamError to retry; any other non-2xx a
 * PermanentDownstreamError: the webhook refused the event as sent, and
 * sending it again will not change that.
 */
export async function postToBotpress(webhook: BotpressWebhook, event: BridgeEvent): Promise<void> {
  let answer: HttpAnswer;
  const body = JSON.stringify(event);
  const timestamp = Math.floor((webhook.now ?? Date.now)() / 1000);
  try {
    answer = await sendHttpRequest({
      url: webhook.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-bp-secret': webhook.secret,
        [BRIDGE_SIGNATURE_HEADERS.timestamp]: String(timestamp),
        [BRIDGE_SIGNATURE_HEADERS.signature]: signSlackRequest(webhook.signingSecret, timestamp, body),
      },
      body,
      timeoutMs: webhook.timeoutMs,
    });
  } catch (error) {
    const timedOut = error instanceof RequestTimeout;
    throw new DownstreamError('botpress', timedOut ? `webhook timed out after ${webhook.timeoutMs} ms` : 'webhook unreachable', { cause: error });
  }
  const { status } = answer;
  if (status >= 200 && status < 300) return;
  if (status >= 500 || status === 408 || status === 429) {
    throw new DownstreamError('botpress', `webhook answered ${status}`, { status, retryAfterMs: retryAfterMs(answer.headers['retry-after']) });
  }
  throw new PermanentDownstreamError('botpress', `webhook answered ${status}`, `http_${status}`, BOTPRESS_REFUSALS[status] ?? 'check the Botpress webhook URL and secret', { status });
}

const BOTPRESS_REFUSALS: Readonly<Record<number, string>> = {
  // Botpress's Webhook integration answers a wrong x-bp-secret with 400, not 401; the integration route, a body it refuses.
  400: 'check that the Webhook integration’s Secret is the bridge’s botpressWebhookSecret (Botpress answers a wrong one with 400); with the integration, its log names the refusal',
  401: 'set the Webhook integration’s secret (botpressWebhookSecret), or the integration’s signing secret (botpressSigningSecret), in the bridge’s secret',
  403: 'set the Webhook integration’s secret (botpressWebhookSecret), or the integration’s signing secret (botpressSigningSecret), in the bridge’s secret',
  404: 'set the Webhook integration’s URL in the bridge’s secret (botpressWebhookUrl), and check the integration is enabled',
};

/** A Retry-After header (seconds, or an HTTP date) in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The bot channel over the webhook, its address and secrets read for each event (they may rotate). */
export function botpressChannel(webhook: () => Promise<BotpressWebhook>): BotChannel {
  return { send: async (event) => postToBotpress(await webhook(), event) };
}

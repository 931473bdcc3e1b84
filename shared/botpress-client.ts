import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DownstreamError } from './errors';
import type { AgentMessagePayload } from './normalize';

/** Tells the bot that an agent took the conversation. */
export interface AgentAssignedPayload {
  readonly type: 'agent_assigned';
  readonly conversationId: string;
  readonly userId: string;
  readonly agentName?: string;
  readonly channelId: string;
  readonly threadTs: string;
}

/** Tells the bot that the handoff is over and it should re-engage with the customer. */
export interface HandoffResolvedPayload {
  readonly type: 'handoff_resolved';
  readonly conversationId: string;
  readonly userId: string;
  readonly channelId: string;
  readonly threadTs: string;
}

export type BotpressEvent = AgentMessagePayload | AgentAssignedPayload | HandoffResolvedPayload;

export interface BotpressWebhook {
  readonly url: string;
  readonly secret: string;
  /** Bounded so that the Slack function still answers Slack within its 3 seconds. */
  readonly timeoutMs: number;
}

export type BotpressSender = (event: BotpressEvent) => Promise<void>;

/**
 * POSTs one event to the Botpress Webhook integration, authenticated by its
 * `x-bp-secret` header. Any non-2xx, timeout or network failure is a
 * DownstreamError: the caller decides whether the sender should retry.
 */
export async function postToBotpress(webhook: BotpressWebhook, event: BotpressEvent): Promise<void> {
  let status: number;
  try {
    status = await postJson(webhook.url, { 'x-bp-secret': webhook.secret }, JSON.stringify(event), webhook.timeoutMs);
  } catch (error) {
    const timedOut = error instanceof WebhookTimeout;
    throw new DownstreamError('botpress', timedOut ? `webhook timed out after ${webhook.timeoutMs} ms` : 'webhook unreachable', {
      cause: error,
    });
  }
  if (status < 200 || status >= 300) {
    throw new DownstreamError('botpress', `webhook answered ${status}`, { status });
  }
}

class WebhookTimeout extends Error {
  override readonly name = 'WebhookTimeout';
}

/**
 * node:http(s) rather than fetch: Node loads fetch's implementation (undici)
 * on first use, which cost a cold container ~60 ms before its first forwarded
 * reply, and each request costs about twice the CPU (measured in README's
 * Performance section). The default agents keep connections alive.
 * Resolves with the status once the answer has been read to its end.
 */
function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        // The body is not needed, but it must be read for the connection to be reused.
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    // The whole exchange, not one socket read, is bounded: Slack's 3 seconds are for everything.
    const timer = setTimeout(() => request.destroy(new WebhookTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.once('close', () => clearTimeout(timer));
    request.once('error', reject);
    request.end(body);
  });
}

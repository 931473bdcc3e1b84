import { DownstreamError } from './errors';
import { postJson, RequestTimeout } from './node-http';
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
    const timedOut = error instanceof RequestTimeout;
    throw new DownstreamError('botpress', timedOut ? `webhook timed out after ${webhook.timeoutMs} ms` : 'webhook unreachable', {
      cause: error,
    });
  }
  if (status < 200 || status >= 300) {
    throw new DownstreamError('botpress', `webhook answered ${status}`, { status });
  }
}

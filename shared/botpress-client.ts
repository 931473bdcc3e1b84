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
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bp-secret': webhook.secret },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(webhook.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new DownstreamError('botpress', timedOut ? `webhook timed out after ${webhook.timeoutMs} ms` : 'webhook unreachable', {
      cause: error,
    });
  }
  // Drain the body so that keep-alive can reuse the connection; its content is not needed.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    throw new DownstreamError('botpress', `webhook answered ${response.status}`, { status: response.status });
  }
}

import type { BotpressApiStandIn, StoredEvent, StoredMessage } from './botpress-api';
import type { BotpressRuntime } from './botpress-runtime';

/*
 * Botpress's HITL plugin, towards the integration, as botpress/botpress does
 * it at 4f4a05a0c4 (plugins/hitl 1.4.2):
 * - a customer's message (hooks/before-incoming-message/all.ts,
 *   _handleUpstreamMessage) goes through ConversationManager.respond with
 *   `{ ...messagePayload, userId: patientDownstreamUserId }`; respond
 *   (conv-manager.ts) creates every message with `userId: ctx.botId`: the
 *   message is the bot's, and the customer is only in `payload.userId`;
 * - the plugin's own texts (respond({ type: 'text', text })) carry no
 *   `payload.userId`;
 * - the customer's downstream user (user-linker.ts, _linkUser) is made with
 *   createUser, whose name falls back to 'Unknown User' and whose e-mail to
 *   a made-up `<user id>@no-reply.<bot id>.botpress.com`;
 * - a message the integration creates in an active session
 *   (_handleDownstreamMessage) is relayed to the customer; if the session has
 *   no agent yet, its sender becomes the agent first (hooks/operations.ts,
 *   assignAgent: "A human agent has joined the conversation.");
 * - hitlAssigned assigns its user the same way, hitlStopped ends the session
 *   with "The human agent closed the conversation…"
 *   (before-incoming-event/hitl-assigned.ts, hitl-stopped.ts); in an ended
 *   session, downstream messages and events are dropped;
 * - the close command `/end` (_handleHitlCloseCommand) and the agent
 *   assignment timeout (human-agent-assigned-timeout.ts, when
 *   agentAssignedTimeoutSeconds is set) write "( The user has ended the
 *   session. )" downstream, end the session, call the integration's
 *   stopHitl, and tell the customer.
 * The sandbox and the integration tests go through this, so that the
 * integration meets what the real plugin sends and does.
 */

/** The plugin's default texts (plugin.definition.ts) and close command. */
export const HITL_PLUGIN = {
  handoff: 'I have escalated this conversation to a human agent. They should be with you shortly.',
  assigned: 'A human agent has joined the conversation.',
  stopped: 'The human agent closed the conversation. I will continue assisting you.',
  closedByUser: 'You have ended the session with the human agent. I will continue assisting you.',
  cancelled: '( The user has ended the session. )',
  timedOut: 'No human agent is available at the moment. Please try again later. I will continue assisting you for the time being.',
  closeCommand: '/end',
} as const;

/** What the customer sees in the webchat from the plugin's side: its own texts, and the agent's messages under the agent's name. */
export interface UpstreamMessage {
  readonly from: 'bot' | 'agent';
  readonly text: string;
  readonly author?: string;
}

export interface HitlSession {
  /** The downstream conversation the integration's startHitl created. */
  readonly conversationId: string;
  /** The downstream user the integration's createUser made for the customer. */
  readonly customerId: string;
  /** Until the session ends (hitlStopped, /end, the timeout): afterwards the bot has the conversation again. */
  active: boolean;
  /** The Botpress user the plugin has as the agent (its humanAgentId tag), once it has one. */
  humanAgentId?: string;
  /** Everything the plugin showed the customer in this session, in order. */
  readonly upstream: UpstreamMessage[];
}

export interface SimulatedHitlPluginOptions {
  /** agentAssignedTimeoutSeconds, in ms: the session ends when nobody is assigned in time. Unset: no timeout (the plugin's default). */
  readonly agentAssignedTimeoutMs?: number;
  /** Told of each message the plugin shows the customer. */
  readonly onUpstream?: (session: HitlSession, message: UpstreamMessage) => void;
}

export class SimulatedHitlPlugin {
  private readonly sessions = new Map<string, HitlSession>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopListening: () => void;

  constructor(
    private readonly runtime: Pick<BotpressRuntime, 'action' | 'message' | 'botId'>,
    private readonly api: Pick<BotpressApiStandIn, 'onCreated' | 'users'>,
    private readonly options: SimulatedHitlPluginOptions = {},
  ) {
    this.stopListening = api.onCreated((created) => ('message' in created ? this.downstreamMessage(created.message) : this.downstreamEvent(created.event)));
  }

  /** Start HITL: the customer linked as the plugin links them, then startHitl with the conversation so far. */
  async start(
    customer: { readonly id: string; readonly name?: string | undefined; readonly email?: string | undefined },
    handoff: {
      readonly title: string;
      readonly description: string;
      readonly history: readonly { readonly from: 'customer' | 'bot'; readonly text: string }[];
      /** The Start HITL card's session fields, handed to the integration as they are (plugins/hitl, actions/start-hitl.ts: `hitlSession: input.hitlSession`). */
      readonly hitlSession?: Record<string, unknown>;
    },
  ): Promise<HitlSession> {
    const customerId = await linkUser(this.runtime, customer);
    const { conversationId } = await this.runtime.action<{ conversationId: string }>('startHitl', {
      userId: customerId,
      title: handoff.title,
      description: handoff.description,
      messageHistory: handoff.history.map((line) => ({ source: line.from === 'customer' ? { type: 'user', userId: customerId } : { type: 'bot' }, type: 'text', payload: { text: line.text } })),
      ...(handoff.hitlSession ? { hitlSession: handoff.hitlSession } : {}),
    });
    const session: HitlSession = { conversationId, customerId, active: true, upstream: [] };
    this.sessions.set(conversationId, session);
    if (this.options.agentAssignedTimeoutMs !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (session.active && session.humanAgentId === undefined) void this.end(session, HITL_PLUGIN.timedOut);
      }, this.options.agentAssignedTimeoutMs);
      this.timers.add(timer);
    }
    return session;
  }

  /** The customer writing in an active session: `/end` ends it; anything else is relayed. Returns the integration's answer to the relay. */
  async customerWrites(session: HitlSession, message: { readonly type: string; readonly payload: Record<string, unknown>; readonly messageId?: string }) {
    if (typeof message.payload.text === 'string' && message.payload.text.trim().toLowerCase() === HITL_PLUGIN.closeCommand) {
      await this.end(session, HITL_PLUGIN.closedByUser);
      return { status: 200 };
    }
    return relayCustomerMessage(this.runtime, this.runtime.botId, session, message);
  }

  /** A text of the plugin's own in the downstream conversation (e.g. its incompatible-message notice). */
  pluginText(session: Pick<HitlSession, 'conversationId'>, text: string) {
    return this.runtime.message({ conversation: { id: session.conversationId, channel: 'hitl', tags: {} }, user: { id: this.runtime.botId }, type: 'text', payload: { text } });
  }

  close(): void {
    this.stopListening();
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** /end and the timeout: the plugin's notice downstream, the session over, the integration's stopHitl, then the customer told. */
  private async end(session: HitlSession, toCustomer: string): Promise<void> {
    await this.pluginText(session, HITL_PLUGIN.cancelled);
    session.active = false;
    await this.runtime.action('stopHitl', { conversationId: session.conversationId });
    this.show(session, { from: 'bot', text: toCustomer });
  }

  private downstreamMessage(message: StoredMessage): void {
    const session = this.sessions.get(message.conversationId);
    if (!session?.active) return;
    if (session.humanAgentId === undefined) this.assign(session, message.userId);
    const { text, title } = message.payload;
    // A file is shown as its name and link: the simulated webchat draws no media.
    const link = Object.values(message.payload).find((value): value is string => typeof value === 'string' && value.startsWith('http'));
    const shown = typeof text === 'string' ? text : `${typeof title === 'string' ? title : message.type}: ${link ?? ''}`;
    const author = this.api.users.find((user) => user.id === message.userId)?.name;
    this.show(session, { from: 'agent', text: shown, ...(author ? { author } : {}) });
  }

  private downstreamEvent(event: StoredEvent): void {
    const session = event.conversationId === undefined ? undefined : this.sessions.get(event.conversationId);
    if (!session?.active) return;
    if (event.type === 'hitlAssigned') this.assign(session, String(event.payload.userId));
    if (event.type === 'hitlStopped') {
      session.active = false;
      this.show(session, { from: 'bot', text: HITL_PLUGIN.stopped });
    }
  }

  private assign(session: HitlSession, userId: string): void {
    session.humanAgentId = userId;
    this.show(session, { from: 'bot', text: HITL_PLUGIN.assigned });
  }

  private show(session: HitlSession, message: UpstreamMessage): void {
    session.upstream.push(message);
    this.options.onUpstream?.(session, message);
  }
}

/** The plugin relaying a customer's message to the session's downstream conversation. */
export function relayCustomerMessage(
  runtime: Pick<BotpressRuntime, 'message'>,
  botId: string,
  session: Pick<HitlSession, 'conversationId' | 'customerId'>,
  message: { readonly type: string; readonly payload: Record<string, unknown>; readonly messageId?: string },
) {
  return runtime.message({
    conversation: { id: session.conversationId, channel: 'hitl', tags: {} },
    user: { id: botId },
    type: message.type,
    payload: { ...message.payload, userId: session.customerId },
    ...(message.messageId ? { messageId: message.messageId } : {}),
  });
}

/** The plugin linking the webchat's user to a downstream one: createUser with the plugin's own stand-ins for what it does not know. */
export async function linkUser(
  runtime: Pick<BotpressRuntime, 'action' | 'botId'>,
  upstream: { readonly id: string; readonly name?: string | undefined; readonly email?: string | undefined },
): Promise<string> {
  const { userId } = await runtime.action<{ userId: string }>('createUser', {
    name: upstream.name ?? 'Unknown User',
    email: upstream.email ?? `${upstream.id}@no-reply.${runtime.botId.replaceAll('_', '-')}.botpress.com`,
  });
  return userId;
}

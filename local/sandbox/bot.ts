import { randomUUID } from 'node:crypto';
import type { BotpressApiStandIn, StoredEvent, StoredMessage } from '../botpress-api';
import { linkUser, relayCustomerMessage } from '../hitl-plugin';
import type { BotpressRuntime } from '../botpress-runtime';

export interface ChatEntry {
  readonly id: number;
  readonly from: 'customer' | 'bot' | 'agent';
  readonly text: string;
  readonly author?: string;
}

const CANNED: readonly (readonly [RegExp, string])[] = [
  [/\b(hours?|open|opening|closed)\b/i, 'We are open Monday to Friday, 9:00 to 18:00 (CET).'],
  [/\b(price|prices|pricing|cost|plan|plans)\b/i, 'Plans start at €19 a month, and the first 14 days are free.'],
  [/\b(refund|money back|return)\b/i, 'Refunds are possible within 30 days of purchase. Type "human" and a support agent can start yours.'],
  [/^\s*(hi|hello|hey|good (morning|afternoon|evening))\b/i, 'Hi! I am the sandbox bot. Ask me about opening hours, pricing or refunds, or type "human" to talk to a person.'],
];
const WANTS_A_HUMAN = /\b(human|agent|person|someone|somebody|representative|support team)\b/i;
const GREETING = 'Hi! I am the sandbox bot. Ask me about opening hours, pricing or refunds, or type "human" to talk to a person.';

/** What Botpress's HITL plugin says at each step, by default (its plugin definition's messages), and its close command. */
export const HITL_PLUGIN = {
  handoff: 'I have escalated this conversation to a human agent. They should be with you shortly.',
  assigned: 'A human agent has joined the conversation.',
  stopped: 'The human agent closed the conversation. I will continue assisting you.',
  closedByUser: 'You have ended the session with the human agent. I will continue assisting you.',
  closeCommand: '/end',
} as const;

/**
 * The sandbox's bot and what Botpress's HITL plugin and webchat do around
 * it, simulated; the integration (botpress/integration) runs as shipped,
 * through the SDK's request handling (local/botpress-runtime.ts), against an
 * embedded Botpress API. The bot answers a few canned questions; asked for a
 * person, the simulated plugin calls the integration's createUser and
 * startHitl, relays the customer's messages to its hitl channel, shows the
 * agent's messages with the agent's name, and ends the session on
 * hitlStopped or the customer's `/end` (stopHitl).
 */
export class SandboxBot {
  readonly chat: ChatEntry[] = [];
  conversationId = `sandbox-${randomUUID().slice(0, 8)}`;
  private session: { readonly downstreamId: string; readonly customerId: string } | undefined;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly runtime: BotpressRuntime,
    private readonly api: BotpressApiStandIn,
  ) {
    api.onCreated((created) => ('message' in created ? this.downstreamMessage(created.message) : this.downstreamEvent(created.event)));
    this.push({ from: 'bot', text: GREETING });
  }

  get handoffActive(): boolean {
    return this.session !== undefined;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async customerSays(text: string): Promise<void> {
    this.push({ from: 'customer', text });
    const session = this.session;
    if (session) {
      if (text.trim().toLowerCase() === HITL_PLUGIN.closeCommand) {
        this.session = undefined;
        await this.runtime.action('stopHitl', { conversationId: session.downstreamId });
        this.push({ from: 'bot', text: HITL_PLUGIN.closedByUser });
        return;
      }
      // The plugin relays the customer's message to the session's conversation, on the integration's hitl channel, as it does.
      const answer = await relayCustomerMessage(this.runtime, this.runtime.botId, { conversationId: session.downstreamId, customerId: session.customerId }, { type: 'text', payload: { text } });
      if ((answer.status ?? 200) !== 200) this.push({ from: 'bot', text: 'Sorry, that message did not reach our team. Please send it again.' });
      return;
    }
    if (WANTS_A_HUMAN.test(text)) return this.handOff();
    this.push({ from: 'bot', text: CANNED.find(([pattern]) => pattern.test(text))?.[1] ?? 'I am only a simple sandbox bot: I know about opening hours, pricing and refunds. Type "human" to talk to a support agent.' });
  }

  /** Shows a problem of the sandbox itself in the chat. */
  report(text: string): void {
    this.push({ from: 'bot', text });
  }

  /** Starts over with a new website visitor. */
  newConversation(): void {
    this.conversationId = `sandbox-${randomUUID().slice(0, 8)}`;
    this.session = undefined;
    this.chat.length = 0;
    this.push({ from: 'bot', text: GREETING });
  }

  /** The plugin's Start HITL: the customer as a user of the integration, then the session, with the chat so far. */
  private async handOff(): Promise<void> {
    this.push({ from: 'bot', text: HITL_PLUGIN.handoff });
    const asked = this.chat.filter((entry) => entry.from === 'customer').map((entry) => `"${entry.text}"`);
    try {
      const userId = await linkUser(this.runtime, { id: `user_${this.conversationId}`, name: 'Sam (sandbox visitor)' });
      const messageHistory = this.chat.map((entry) => ({ source: entry.from === 'customer' ? { type: 'user', userId } : { type: 'bot' }, type: 'text', payload: { text: entry.text } }));
      const { conversationId } = await this.runtime.action<{ conversationId: string }>('startHitl', {
        userId,
        title: 'Handoff from the sandbox bot',
        description: `The visitor wrote ${asked.join(', ')} and asked to talk to a person.`.slice(0, 2_000),
        messageHistory,
      });
      this.session = { downstreamId: conversationId, customerId: userId };
    } catch (error) {
      console.error('sandbox handoff failed:', error);
      this.push({ from: 'bot', text: 'Sorry, I could not reach the support team. Please try again in a moment.' });
    }
    this.changed();
  }

  /** A message the integration created in the session's conversation: an agent's reply, shown with the agent's name. */
  private downstreamMessage(message: StoredMessage): void {
    if (!this.session || message.conversationId !== this.session.downstreamId || message.userId === this.session.customerId) return;
    const author = this.api.users.find((user) => user.id === message.userId)?.name;
    const { text, title } = message.payload;
    // A file is shown as its name and link: the simulated webchat draws no media.
    const link = Object.values(message.payload).find((value): value is string => typeof value === 'string' && value.startsWith('http'));
    const shown = typeof text === 'string' ? text : `${typeof title === 'string' ? title : message.type}: ${link ?? ''}`;
    this.push({ from: 'agent', text: shown, ...(author ? { author } : {}) });
  }

  private downstreamEvent(event: StoredEvent): void {
    if (!this.session || event.conversationId !== this.session.downstreamId) return;
    if (event.type === 'hitlAssigned') this.push({ from: 'bot', text: HITL_PLUGIN.assigned });
    if (event.type === 'hitlStopped') {
      this.session = undefined;
      this.push({ from: 'bot', text: HITL_PLUGIN.stopped });
    }
  }

  private push(entry: Omit<ChatEntry, 'id'>): void {
    this.chat.push({ id: this.nextId++, ...entry });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

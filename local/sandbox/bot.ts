import { randomUUID } from 'node:crypto';
import type { BotpressApiStandIn } from '../botpress-api';
import { HITL_PLUGIN, SimulatedHitlPlugin, type HitlSession } from '../hitl-plugin';
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

/**
 * The sandbox's bot and what Botpress's HITL plugin and webchat do around
 * it, simulated; the integration (botpress/integration) runs as shipped,
 * through the SDK's request handling (local/botpress-runtime.ts), against an
 * embedded Botpress API. The bot answers a few canned questions; asked for a
 * person, the simulated plugin (local/hitl-plugin.ts) opens a session, and
 * the chat shows what the plugin shows the customer.
 */
export class SandboxBot {
  readonly chat: ChatEntry[] = [];
  conversationId = `sandbox-${randomUUID().slice(0, 8)}`;
  private session: HitlSession | undefined;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();
  private readonly plugin: SimulatedHitlPlugin;

  constructor(runtime: BotpressRuntime, api: BotpressApiStandIn) {
    this.plugin = new SimulatedHitlPlugin(runtime, api, {
      // What the plugin shows in this visitor's conversation; an earlier visitor's session is not theirs.
      onUpstream: (session, message) => {
        if (session === this.session) this.push(message);
      },
    });
    this.push({ from: 'bot', text: GREETING });
  }

  get handoffActive(): boolean {
    return this.session?.active === true;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async customerSays(text: string): Promise<void> {
    this.push({ from: 'customer', text });
    const session = this.session;
    if (session?.active) {
      // The plugin relays the customer's message to the session's conversation, on the integration's hitl channel (or ends it on /end).
      const answer = await this.plugin.customerWrites(session, { type: 'text', payload: { text } });
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
      this.session = await this.plugin.start(
        { id: `user_${this.conversationId}`, name: 'Sam (sandbox visitor)' },
        {
          title: 'Handoff from the sandbox bot',
          description: `The visitor wrote ${asked.join(', ')} and asked to talk to a person.`.slice(0, 2_000),
          history: this.chat.map((entry) => ({ from: entry.from === 'customer' ? ('customer' as const) : ('bot' as const), text: entry.text })),
        },
      );
    } catch (error) {
      console.error('sandbox handoff failed:', error);
      this.push({ from: 'bot', text: 'Sorry, I could not reach the support team. Please try again in a moment.' });
    }
    this.changed();
  }

  private push(entry: Omit<ChatEntry, 'id'>): void {
    this.chat.push({ id: this.nextId++, ...entry });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

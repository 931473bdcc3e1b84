import { randomUUID } from 'node:crypto';
import type { SimulatedBotpress } from '../simulated-botpress';

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

/**
 * The sandbox's stand-in bot: deliberately simple. It answers a few canned
 * questions and hands off when the customer asks for a human, through the
 * shipped Botpress snippets run by the simulated Botpress, exactly as a real
 * bot would call the bridge.
 */
export class SandboxBot {
  readonly chat: ChatEntry[] = [];
  conversationId = `sandbox-${randomUUID().slice(0, 8)}`;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly botpress: SimulatedBotpress,
    private readonly agentName: string,
  ) {
    // What the webhook snippet shows the customer (agent replies, joins, the bot taking over).
    botpress.onMessage((message) => {
      if (message.conversationId !== this.conversationId) return;
      const prefix = `${agentName}: `;
      if (message.text.startsWith(prefix)) this.push({ from: 'agent', author: agentName, text: message.text.slice(prefix.length) });
      else this.push({ from: 'bot', text: message.text });
    });
    this.push({ from: 'bot', text: 'Hi! I am the sandbox bot. Ask me about opening hours, pricing or refunds, or type "human" to talk to a person.' });
  }

  get handoffActive(): boolean {
    return this.botpress.conversationState(this.conversationId).conversation.handoffActive === true;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async customerSays(text: string): Promise<void> {
    this.push({ from: 'customer', text });
    if (this.handoffActive) {
      // forward-message.js: the customer's message goes into the Slack thread while the handoff lasts.
      const variables = await this.botpress.runCard('forward-message', this.conversationId, { preview: text, messageId: randomUUID() });
      if (variables.handoffDeliveryFailed) this.push({ from: 'bot', text: 'Sorry, that message did not reach our team. Please send it again.' });
      if (variables.handoffActive) return;
      // The handoff is over (resolved, ended or expired): the bot answers this message itself.
      this.changed();
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
    this.chat.length = 0;
    this.push({ from: 'bot', text: 'Hi! I am the sandbox bot. Ask me about opening hours, pricing or refunds, or type "human" to talk to a person.' });
  }

  private async handOff(): Promise<void> {
    this.push({ from: 'bot', text: 'Sure, I am connecting you with our support team. They will answer right here.' });
    const state = this.botpress.conversationState(this.conversationId);
    const asked = this.chat.filter((entry) => entry.from === 'customer').map((entry) => `"${entry.text}"`);
    // What Botpress's Summary Agent would provide.
    state.conversation.SummaryAgent = {
      summary: `The visitor wrote ${asked.join(', ')} and asked to talk to a person.`.slice(0, 2_000),
      transcript: this.chat.map((entry) => `${entry.from === 'customer' ? 'User' : 'Bot'}: ${entry.text}`).join('\n'),
    };
    state.conversation.customerName = 'Sam (sandbox visitor)';
    const variables = await this.botpress.runCard('start-handoff', this.conversationId);
    if (variables.handoffStatus === 'failed') {
      this.push({ from: 'bot', text: 'Sorry, I could not reach the support team. Please try again in a moment.' });
      return;
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

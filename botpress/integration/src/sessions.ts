import { randomUUID } from 'node:crypto';
import { REQUEST_LIMITS, URL_FIELD_OF_KIND } from '../../../shared/botpress/contract';
import type { FileKind } from '../../../shared/domain/files/policy';
import type { TAGS } from '../integration.definition';
import type { Bridge, HandoffBody, MessageBody } from './bridge';
import type { Client, HistoryMessage, HitlMessage, HitlMessageType, StartHitlInput } from './types';

/*
 * The HITL plugin's side of a session, handed to the bridge: createUser and
 * startHitl open it (a downstream conversation on the hitl channel, then the
 * card in Slack, keyed by that conversation's id), the customer's messages on
 * the hitl channel go to its thread, and stopHitl closes it.
 */

/** What the bridge takes: longer is cut, marked, rather than refused. */
const LIMITS = REQUEST_LIMITS;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * What the HITL plugin passes when it does not know the customer (plugins/hitl
 * user-linker.ts): a made-up address and a made-up name. Neither is the
 * customer's, and the card should not show them as if they were.
 */
const PLUGIN_PLACEHOLDER_NAME = 'Unknown User';
const PLUGIN_PLACEHOLDER_EMAIL = /@no-reply\.[^@]+\.botpress\.com$/i;

export async function createUser(input: { name: string; pictureUrl?: string | undefined; email?: string | undefined }, client: Client): Promise<{ userId: string }> {
  // A new customer each call: the plugin links the user it gets to its own, once.
  const { user } = await client.getOrCreateUser({
    name: input.name,
    ...(input.pictureUrl ? { pictureUrl: input.pictureUrl } : {}),
    tags: { customerKey: randomUUID(), ...(input.email ? { email: input.email } : {}) },
    discriminateByTags: ['customerKey'],
  });
  return { userId: user.id };
}

export async function startHitl(input: StartHitlInput, client: Client, bridge: Bridge): Promise<{ conversationId: string }> {
  const { user } = await client.getUser({ id: input.userId });
  const { conversation } = await client.getOrCreateConversation({ channel: 'hitl', tags: { sessionKey: randomUUID() }, discriminateByTags: ['sessionKey'] });
  const summary = [input.title, input.description].map((part) => part?.trim()).filter(Boolean).join('\n\n') || 'The customer asked for a person (the bot gave no summary).';
  const transcript = (input.messageHistory as unknown as readonly HistoryMessage[])
    .map((message) => ({ role: message.source.type === 'user' ? ('user' as const) : ('bot' as const), text: cut(describe(message.type, message.payload), LIMITS.transcriptLine) }))
    .filter((line) => line.text.trim() !== '')
    .slice(-LIMITS.transcriptLines);
  // The SDK types a user's tags loosely; these are the ones createUser set.
  const { email } = user.tags as Partial<Record<keyof typeof TAGS.user, string>>;
  const name = user.name && user.name !== PLUGIN_PLACEHOLDER_NAME ? user.name : undefined;
  const customer: NonNullable<HandoffBody['customer']> = {
    ...(name ? { name: cut(name, LIMITS.name) } : {}),
    ...(email && !PLUGIN_PLACEHOLDER_EMAIL.test(email) ? { email } : {}),
  };
  // The session fields the Start HITL card set (this integration's hitlSession entity: its queue).
  const session: { readonly queue?: unknown } = input.hitlSession ?? {};
  const queue = typeof session.queue === 'string' ? session.queue.trim() : undefined;
  await bridge.handoff({ conversationId: conversation.id, userId: input.userId, summary: cut(summary, LIMITS.summary), customer, transcript, ...(queue ? { queue } : {}) });
  return { conversationId: conversation.id };
}

export async function stopHitl(input: { conversationId: string }, bridge: Bridge): Promise<Record<string, never>> {
  // The plugin stops a session when the customer types its close command, when no agent took it in time, or when
  // the bot's flow ends it: which one, the interface does not say.
  await bridge.end({ conversationId: input.conversationId, reason: 'ended on the bot’s side (the customer closed it, or nobody took it in time)' });
  return {};
}

/**
 * A message on the hitl channel, to the thread: the customer's, or the bot's
 * (the plugin's notices to the agent), said as such. The HITL plugin writes
 * every message it relays as the bot's, with the customer in `payload.userId`
 * (plugins/hitl, conv-manager.ts respond; local/hitl-plugin.ts), as Zendesk's
 * and Freshchat's integrations read it; a message with none is the plugin's
 * own. When the bridge says the handoff is over (an agent resolved it, or it
 * expired), the plugin hears so.
 */
export async function forwardToThread(
  props: { conversation: { id: string }; message: { id: string; userId: string }; type: HitlMessageType; payload: HitlMessage },
  botIds: readonly string[],
  client: Client,
  bridge: Bridge,
): Promise<void> {
  const { text, files } = contentOf(props.type, props.payload);
  const author = typeof props.payload.userId === 'string' && props.payload.userId !== '' ? props.payload.userId : props.message.userId;
  const fromBot = botIds.includes(author);
  const body: MessageBody = {
    conversationId: props.conversation.id,
    text: cut(fromBot && text ? `(from the bot) ${text}` : text, LIMITS.message),
    messageId: props.message.id,
    ...(files.length > 0 ? { files } : {}),
  };
  if (body.text === '' && files.length === 0) return;
  const { handoffActive } = await bridge.message(body);
  if (!handoffActive) await client.createEvent({ type: 'hitlStopped', payload: { conversationId: props.conversation.id }, conversationId: props.conversation.id });
}


/** The text and files a message carries: a bloc's items each as what they are, a media message as its file. */
function contentOf(type: string, payload: Record<string, unknown>): { text: string; files: NonNullable<MessageBody['files']> } {
  if (type === 'bloc' && Array.isArray(payload.items)) {
    const parts = (payload.items as { type: string; payload: Record<string, unknown> }[]).map((item) => contentOf(item.type, item.payload));
    return { text: parts.map((part) => part.text).filter(Boolean).join('\n'), files: parts.flatMap((part) => part.files) };
  }
  if (type in URL_FIELD_OF_KIND) {
    const url = payload[URL_FIELD_OF_KIND[type as FileKind]];
    if (typeof url === 'string' && url !== '') {
      return { text: '', files: [{ url, kind: type as FileKind, ...(typeof payload.title === 'string' ? { name: payload.title } : {}) }] };
    }
  }
  return { text: describe(type, payload), files: [] };
}

const stringOf = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** A message as a line of text: its text, or what it is (for the transcript, where files are named, not carried). */
function describe(type: string, payload: Record<string, unknown>): string {
  if (typeof payload.text === 'string') return payload.text;
  if (typeof payload.markdown === 'string') return payload.markdown;
  if (type in URL_FIELD_OF_KIND) return `[${type}] ${stringOf(payload[URL_FIELD_OF_KIND[type as FileKind]])}`.trim();
  if (type === 'bloc' && Array.isArray(payload.items)) {
    return (payload.items as { type: string; payload: Record<string, unknown> }[]).map((item) => describe(item.type, item.payload)).join('\n');
  }
  if (type === 'location') return `[location] ${stringOf(payload.address) || `${stringOf(payload.latitude)}, ${stringOf(payload.longitude)}`}`;
  return typeof payload.title === 'string' ? payload.title : `[${type}]`;
}

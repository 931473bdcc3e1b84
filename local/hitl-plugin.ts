import type { BotpressRuntime } from './botpress-runtime';

/*
 * How Botpress's HITL plugin writes into the integration's hitl channel, as
 * botpress/botpress does it at 4f4a05a0c4 (plugins/hitl 1.4.2):
 * - a customer's message (hooks/before-incoming-message/all.ts,
 *   _handleUpstreamMessage) goes through ConversationManager.respond with
 *   `{ ...messagePayload, userId: patientDownstreamUserId }`;
 * - respond (conv-manager.ts) creates every message with `userId: ctx.botId`:
 *   the message is the bot's, and the customer is only in `payload.userId`;
 * - the plugin's own texts (respond({ type: 'text', text }), e.g. the
 *   incompatible-message notice) carry no `payload.userId`.
 * - the customer's downstream user (user-linker.ts, _linkUser) is made with
 *   createUser, whose name falls back to 'Unknown User' and whose e-mail to
 *   a made-up `<user id>@no-reply.<bot id>.botpress.com`.
 * The sandbox and the integration tests send through these, so that the
 * integration meets what the real plugin sends.
 */

export interface HitlSession {
  /** The downstream conversation the integration's startHitl created. */
  readonly conversationId: string;
  /** The downstream user the integration's createUser made for the customer. */
  readonly customerId: string;
}

/** The plugin relaying a customer's message to the session's downstream conversation. */
export function relayCustomerMessage(
  runtime: Pick<BotpressRuntime, 'message'>,
  botId: string,
  session: HitlSession,
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

/** The plugin writing a text of its own into the downstream conversation. */
export function pluginText(runtime: Pick<BotpressRuntime, 'message'>, botId: string, session: Pick<HitlSession, 'conversationId'>, text: string) {
  return runtime.message({ conversation: { id: session.conversationId, channel: 'hitl', tags: {} }, user: { id: botId }, type: 'text', payload: { text } });
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

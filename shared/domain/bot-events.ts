/*
 * What the bridge tells the bot. Every event carries `eventId`, the same for
 * every copy of one event, so that the bot's side can drop a repeat: the
 * bridge sends an event again only when it cannot know whether the bot took
 * it (a lost answer, a crash). shared/botpress/contract.ts sends them as they
 * are: these are the wire's bodies too.
 */

/** An agent's file as the customer gets it: the kind tells the bot how to show it. */
export interface SentFile {
  readonly name: string;
  readonly mimetype: string;
  readonly size: number;
  readonly kind: 'image' | 'audio' | 'video' | 'file';
  readonly url: string;
}

/** An agent's reply, normalised: `{ text, userId, channelId, threadTs, conversationId }` and what goes with it. */
export interface AgentMessageEvent {
  readonly type: 'agent_message';
  /** `<channel>:<ts>`: the same for every copy of this reply. */
  readonly eventId: string;
  readonly text: string;
  readonly userId: string;
  readonly channelId: string;
  readonly threadTs: string;
  readonly conversationId: string;
  readonly messageTs: string;
  readonly agentName?: string;
  /** The agent's picture (a public URL), when the desk gave one. */
  readonly agentPictureUrl?: string;
  /** A correction of the reply `messageTs` names, which the customer already has; `text` starts "(edited)". */
  readonly edited?: true;
  /** Reaches the customer after a reply the agent wrote later (the desk sent it again); `text` starts "(earlier message)". */
  readonly earlier?: true;
  /** The agent's files, each behind a link that works without the desk and expires. `text` may then be empty. */
  readonly files?: readonly SentFile[];
}

/** An agent took the conversation. */
export interface AgentAssignedEvent {
  readonly type: 'agent_assigned';
  readonly eventId: string;
  readonly conversationId: string;
  readonly userId: string;
  readonly agentName?: string;
  readonly agentPictureUrl?: string;
  readonly channelId: string;
  readonly threadTs: string;
}

/** The handoff is over: the bot takes the conversation back. */
export interface HandoffResolvedEvent {
  readonly type: 'handoff_resolved';
  readonly eventId: string;
  readonly conversationId: string;
  readonly userId: string;
  readonly channelId: string;
  readonly threadTs: string;
}

/** A customer's message (or, with `fileName`, one of its files) never reached the agents, so that the customer can be told. */
export interface CustomerMessageFailedEvent {
  readonly type: 'customer_message_failed';
  readonly eventId: string;
  readonly conversationId: string;
  readonly messageId?: string;
  readonly fileName?: string;
  /** file_not_accepted: the desk's rules keep it out (uploads off, a smaller limit, its type); sending it again will not help. */
  readonly reason?: 'file_too_large' | 'file_unreachable' | 'file_not_accepted';
  readonly maxFileBytes?: number;
}

/** A queued handoff never reached the desk: nobody will answer, and the customer should hear so. */
export interface HandoffFailedEvent {
  readonly type: 'handoff_failed';
  readonly eventId: string;
  readonly conversationId: string;
}

export type BotEvent = AgentMessageEvent | AgentAssignedEvent | HandoffResolvedEvent | CustomerMessageFailedEvent | HandoffFailedEvent;

/** Before a correction's text: the bot cannot change a message the customer has, so the correction follows it. */
export const EDITED_MARKER = '(edited)';

/** Before a reply that arrives after a later one: the customer can tell it was written first. */
export const EARLIER_MARKER = '(earlier message)';

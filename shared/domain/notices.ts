import type { FileRefusal, MissingFileReason } from './files/policy';
import type { AgentActionKind } from './agent-actions';

/*
 * What agents are told, as values: the desk's adapter words and renders
 * them (shared/slack/render/notices.ts). A notice that goes on the queue is
 * validated there like the rest of its job (delivery/jobs.ts).
 */

/** Of a delivery an agent waits for: their reply, or the bot hearing of a Claim or Resolve. */
export type Awaited = { readonly of: 'reply' } | { readonly of: 'action'; readonly action: BotBoundAction };

/** The presses the bot hears of: who has the conversation, and its end. (A release it cannot be told: the hitl interface has no such event.) */
export type BotBoundAction = Exclude<AgentActionKind, 'release'>;

export type Notice =
  /** Not delivered yet; the bridge is still trying. */
  | { readonly kind: 'late'; readonly awaited: Awaited }
  /** Delivered after all, `minutesLate` after it was sent. */
  | { readonly kind: 'delivered-late'; readonly awaited: Awaited; readonly minutesLate: number }
  /** Given up: it never arrived. */
  | { readonly kind: 'lost'; readonly awaited: Awaited }
  /** Nobody has claimed the handoff; the customer has waited since `waitingSince` (epoch ms). The desk mentions whom it is set to. */
  | { readonly kind: 'reminder'; readonly waitingSince: number }
  /** An agent resolved the handoff; the bot has the conversation back. */
  /** No longer queued (the card says it); kept so that a note an older version queued still posts. */
  | { readonly kind: 'resolved'; readonly agentUserId: string }
  /** The bot's side ended the handoff: `reason` as the bot gave it. */
  | { readonly kind: 'ended'; readonly reason: string }
  /** An agent wrote, edited or deleted in a thread with no live handoff. */
  | { readonly kind: 'not-connected'; readonly change?: 'edited' | 'deleted' | undefined }
  /** An internal note stayed on the desk; told privately where it could not be marked so. */
  | { readonly kind: 'note-kept' }
  /** An edit of an internal note stayed on the desk, whatever it now says. */
  | { readonly kind: 'note-edit-kept' }
  /** A reply edited into an internal note: the customer keeps the reply as first sent. */
  | { readonly kind: 'reply-made-note' }
  /** An agent deleted a reply the customer already has. */
  | { readonly kind: 'deleted-reply-kept' }
  /** An agent's files the customer did not get. */
  | { readonly kind: 'files-not-sent'; readonly files: readonly FileRefusal[] }
  /** A customer's file that is not in the thread, and why; the customer has been told. */
  | { readonly kind: 'customer-file-missing'; readonly name: string; readonly reason: MissingFileReason; readonly maxBytes: number }
  /** A Claim or Resolve that changed nothing, and why: told privately to whoever pressed. */
  | { readonly kind: 'press-changed-nothing'; readonly action: AgentActionKind; readonly because: PressUnchanged }
  /** A Claim or Resolve the bridge could not confirm in the time the desk waits: press again if the card does not change. */
  | { readonly kind: 'press-not-confirmed'; readonly action: AgentActionKind };

/** Why a press changed nothing: the handoff as it is. */
export type PressUnchanged =
  | { readonly state: 'claimed'; readonly agentUserId: string; readonly byYou: boolean }
  | { readonly state: 'resolved'; readonly agentUserId: string | undefined }
  /** Nobody has it (a Release that found it unclaimed). */
  | { readonly state: 'unclaimed' }
  /** The bot's side ended it, or it expired and is gone. */
  | { readonly state: 'ended' }
  /** It changed between the press and the look at it: pressing again decides. */
  | { readonly state: 'changing' };

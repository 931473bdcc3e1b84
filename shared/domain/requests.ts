import type { FileKind } from './files/policy';
import type { TranscriptLine } from './ports';

/*
 * What the bot asks of the bridge, as the domain takes it: the bot's adapter
 * (shared/botpress/contract.ts) validates each body on the wire into these.
 */

export interface HandoffRequest {
  readonly conversationId: string;
  readonly userId: string;
  readonly summary: string;
  readonly customer?: { readonly name?: string | undefined; readonly email?: string | undefined } | undefined;
  readonly transcript?: readonly TranscriptLine[] | undefined;
  /** The queue the bot asked for, by name; empty or absent: none. */
  readonly queue?: string | undefined;
}

/** A customer's image, audio, video or file, as the bot keeps it: its URL, and the kind of message that carried it. */
export interface CustomerFile {
  readonly url: string;
  readonly name?: string | undefined;
  readonly kind: FileKind;
}

export interface CustomerMessageRequest {
  readonly conversationId: string;
  readonly text: string;
  readonly messageId?: string | undefined;
  readonly files?: readonly CustomerFile[] | undefined;
}

export interface EndRequest {
  readonly conversationId: string;
  readonly reason: string;
}

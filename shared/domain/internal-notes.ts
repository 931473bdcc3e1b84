import type { AgentReply } from './ports';

/*
 * Agents talk to each other in a handoff's thread ("@bob, any idea?",
 * "checking with billing"): a reply that starts with one of the note
 * prefixes (INTERNAL_NOTE_PREFIXES, any case, after leading spaces) stays on
 * the desk. An edit never lets a note out, whichever way it goes.
 */

/** Whether a text is an internal note: it starts, after leading spaces, with one of the prefixes (given in lower case). */
export function isInternalNote(markup: string, prefixes: readonly string[]): boolean {
  const start = markup.trimStart().toLowerCase();
  return prefixes.some((prefix) => start.startsWith(prefix));
}

/** What an agent's message is, as far as notes go; undefined: a reply for the customer. */
export type NoteVerdict =
  /** A note: it stays, and its writer is shown so. */
  | 'note'
  /** A change to a note (an edit, whatever it now says, or a deletion): it stays. */
  | 'note-changed'
  /** An edit that made a reply into a note: the customer keeps the reply as it was, and the edit stays. */
  | 'reply-made-note';

export function noteVerdictOf(reply: Pick<AgentReply, 'markup' | 'revision'>, prefixes: readonly string[]): NoteVerdict | undefined {
  const { revision } = reply;
  if (!revision) return isInternalNote(reply.markup, prefixes) ? 'note' : undefined;
  if (revision.previousMarkup !== undefined && isInternalNote(revision.previousMarkup, prefixes)) return 'note-changed';
  return revision.kind === 'edited' && isInternalNote(reply.markup, prefixes) ? 'reply-made-note' : undefined;
}

import { escapeSlackText } from './markup';

/**
 * Slack's documented limits on what a message may carry
 * (https://api.slack.com/reference/block-kit/blocks, /composition-objects,
 * /block-elements; chat.postMessage), counted as JavaScript counts string
 * length (UTF-16 code units): never fewer than Slack's own count, so staying
 * under it here stays under it there. Past a block limit Slack refuses the
 * whole message (`invalid_blocks`); past the text limit, `msg_too_long`.
 */
export const SLACK_LIMITS = {
  messageText: 40_000,
  blocks: 50,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
} as const;

// Made on first use: building a Segmenter loads ICU's break rules, a cold-start cost most requests never need (bench/README.md).
let graphemes: Intl.Segmenter | undefined;

/**
 * The text's characters as a reader sees them, each escaped: an emoji, a letter
 * with its combining marks. A cluster longer than `max` on its own (hundreds
 * of stacked marks) comes as its code points instead, so that nothing is too
 * long to place.
 */
function* escapedCharacters(raw: string, max: number): Generator<string> {
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(raw)) {
    const escaped = escapeSlackText(segment);
    if (escaped.length <= max) yield escaped;
    else for (const codePoint of segment) yield escapeSlackText(codePoint);
  }
}

/**
 * Raw text escaped for Slack and shortened, if it must be, to fit `max` with
 * `marker` after it: cut between characters as a reader sees them (an emoji,
 * a letter with its combining marks, never half of one), and before an
 * escape rather than through it. `cut` says whether anything was left out.
 */
export function fitEscaped(raw: string, max: number, marker: string): { readonly text: string; readonly cut: boolean } {
  const escaped = escapeSlackText(raw);
  if (escaped.length <= max) return { text: escaped, cut: false };
  const budget = max - marker.length;
  let kept = '';
  for (const next of escapedCharacters(raw, budget)) {
    if (kept.length + next.length > budget) break;
    kept += next;
  }
  return { text: `${kept}${marker}`, cut: true };
}

/**
 * Raw text escaped for Slack in as few posts as fit `max` each, in order,
 * split at line ends where it can and between characters where a line alone
 * is too long. Joined, the parts are the whole escaped text.
 */
export function splitEscaped(raw: string, max: number = SLACK_LIMITS.messageText): string[] {
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    if (current !== '') parts.push(current);
    current = '';
  };
  for (const line of raw.split(/(?<=\n)/)) {
    const escapedLine = escapeSlackText(line);
    if (current.length + escapedLine.length <= max) {
      current += escapedLine;
      continue;
    }
    flush();
    if (escapedLine.length <= max) {
      current = escapedLine;
      continue;
    }
    for (const next of escapedCharacters(line, max)) {
      if (current.length + next.length > max) flush();
      current += next;
    }
  }
  flush();
  return parts;
}

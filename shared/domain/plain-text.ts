/*
 * Names and titles people chose (a customer's name, a file's name) shown to
 * agents as they are, minus what could make them read as something else.
 */

/** Bidirectional controls (embeddings, overrides, isolates, marks): U+202E turns "fdp.exe" around to look like a PDF. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** One line of plain text: well-formed UTF-16 (half an emoji becomes U+FFFD), no bidi controls, control characters as spaces. */
export function neutralised(text: string): string {
  return text.toWellFormed().replace(BIDI_CONTROLS, '').replace(CONTROL_CHARACTERS, ' ');
}

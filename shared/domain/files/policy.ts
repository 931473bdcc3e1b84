import { neutralised } from '../plain-text';

/*
 * What the bridge carries as files, both ways, stated once: README, the
 * notices people get and the checks all read it from here.
 */

export const FILE_LIMITS = {
  /** Per file, both ways. A transfer over it is cut off, and whoever sent the file is told. */
  maxBytes: 20 * 1024 * 1024,
  /** Per message: Slack's own cap on files in one share is 10. */
  perMessage: 10,
  /**
   * A file that does not come (no answer, a 5xx, a transfer cut short) is
   * tried this often, the waits between tries these; then its message goes
   * on without it, within about a minute, and both sides hear which file.
   */
  tries: 3,
  retryDelaysMs: [10_000, 20_000],
} as const;

/**
 * Why a customer's file is not in the thread: over the limit; refused or not
 * HTTPS where it is kept; no answer there after its tries; or the desk's own
 * rules (uploads off, a smaller size limit, a type it does not take).
 */
export const MISSING_FILE_REASONS = ['too_large', 'unreachable', 'no_answer', 'uploads_disabled', 'too_large_for_desk', 'type_not_allowed'] as const;
export type MissingFileReason = (typeof MISSING_FILE_REASONS)[number];

/** A desk rule that keeps a file out: it will not change by trying again. */
export type DeskFileRule = Extract<MissingFileReason, 'uploads_disabled' | 'too_large_for_desk' | 'type_not_allowed'>;

/** How a file is shown to the customer: as an image, audio, video or a file to download. */
export type FileKind = 'image' | 'audio' | 'video' | 'file';
export const FILE_KINDS = ['image', 'audio', 'video', 'file'] as const satisfies readonly FileKind[];

/**
 * What an agent may send a customer, by MIME type, and how it shows. The
 * customer opens it from the bridge's link in a browser, so nothing that can
 * run script there (HTML, SVG, XML) and nothing that runs on their machine.
 */
const AGENT_FILE_TYPES: Readonly<Record<string, FileKind>> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'application/pdf': 'file',
  'text/plain': 'file',
  'text/csv': 'file',
  'application/msword': 'file',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'file',
  'application/vnd.ms-excel': 'file',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'file',
  'application/vnd.ms-powerpoint': 'file',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'file',
  'application/vnd.oasis.opendocument.text': 'file',
  'application/vnd.oasis.opendocument.spreadsheet': 'file',
  'application/vnd.oasis.opendocument.presentation': 'file',
  'application/zip': 'file',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/ogg': 'audio',
  'audio/wav': 'audio',
  'audio/webm': 'audio',
  'video/mp4': 'video',
  'video/webm': 'video',
  'video/quicktime': 'video',
};

/** Said to an agent whose file was not sent, and in README. */
export const AGENT_FILE_TYPES_TEXT = 'images (PNG, JPEG, GIF, WebP), PDF, text and CSV, Office and OpenDocument files, ZIP, audio and video';

/** How a file an agent shares shows to the customer; undefined when it may not be sent. */
export function agentFileKind(mimetype: string): FileKind | undefined {
  return Object.hasOwn(AGENT_FILE_TYPES, mimetype.toLowerCase()) ? AGENT_FILE_TYPES[mimetype.toLowerCase()] : undefined;
}

/** "20 MB", "3.4 MB": for people. */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

/** A file name safe as one path segment, in a header and through any URL decoding, and read as it is: no slashes, controls, bidi controls, quotes or `%`; at most 200 characters. */
export function safeFileName(name: string | undefined, fallback = 'file'): string {
  const cleaned = [...neutralised(name ?? '').replace(/[/\\"%]/g, '_').trim()].slice(0, 200).join('');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned;
}

/** Why a file did not go through, as a value the desk words for people. */
export type FileRefusal =
  | { readonly refused: 'too-many'; readonly name: string; readonly max: number }
  | { readonly refused: 'deleted'; readonly name: string }
  | { readonly refused: 'unreadable'; readonly name: string }
  /** The desk did not hand it over in its tries (no answer, a 5xx). */
  | { readonly refused: 'not-fetched'; readonly name: string; readonly tries: number }
  | { readonly refused: 'external'; readonly name: string }
  | { readonly refused: 'type'; readonly name: string; readonly mimetype: string }
  | { readonly refused: 'too-large'; readonly name: string; readonly bytes?: number | undefined; readonly maxBytes: number };

export const isRefusal = (value: object): value is FileRefusal => 'refused' in value;

import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Links to agents' files, for customers: the bridge's own URL, signed and
 * dated, which the bridge answers with a redirect to a presigned S3 URL
 * minutes long. Not a presigned URL itself, because one signed with a
 * function's temporary credentials dies with them, within hours, whatever
 * its own expiry says: a customer reading the chat the next day would get an
 * error. Anyone holding the link can open it until it expires, as with any
 * link in a chat; it cannot be guessed or altered.
 */

export const FILE_ROUTE_PREFIX = '/files/';

/** Where an agent's file is kept in the bucket (its Slack id makes a second copy of the same share overwrite the first). */
export const objectKeyOf = (file: FileRef): string => `agent-files/${file.fileId}/${file.name}`;

export interface FileRef {
  /** Slack's file id. */
  readonly fileId: string;
  /** A safe name (policy.ts, safeFileName). */
  readonly name: string;
}

/**
 * The key that signs links, derived from a secret of its own (in AWS, one the
 * stack generates, so that rotating any other secret leaves links working);
 * locally, from the bridge API token.
 */
export function fileLinkKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('botpress-slack-hitl file links v1').digest();
}

const signatureOf = (key: Buffer, file: FileRef, expiresAt: number) =>
  createHmac('sha256', key).update(`${file.fileId}\n${file.name}\n${expiresAt}`).digest('base64url');

/** A link to the file that works until `expiresAt` (seconds since the epoch). */
export function fileLink(baseUrl: string, file: FileRef, expiresAt: number, key: Buffer): string {
  const path = `${FILE_ROUTE_PREFIX}${encodeURIComponent(file.fileId)}/${encodeURIComponent(file.name)}`;
  return `${baseUrl}${path}?expires=${expiresAt}&signature=${signatureOf(key, file, expiresAt)}`;
}

export type LinkCheck = { readonly ok: true; readonly file: FileRef } | { readonly ok: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' };

const FILE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Reads a link's path and query back, checking its signature (in constant time) and then its date. */
export function checkFileLink(path: string, query: Readonly<Record<string, string | undefined>>, key: Buffer, nowSeconds: number): LinkCheck {
  const parts = path.startsWith(FILE_ROUTE_PREFIX) ? path.slice(FILE_ROUTE_PREFIX.length).split('/') : [];
  const expiresAt = Number(query.expires);
  const given = query.signature;
  if (parts.length !== 2 || !Number.isSafeInteger(expiresAt) || !given) return { ok: false, reason: 'malformed' };
  let file: FileRef;
  try {
    file = { fileId: decodeURIComponent(parts[0]!), name: decodeURIComponent(parts[1]!) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!FILE_ID.test(file.fileId) || file.name === '' || file.name.includes('/')) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signatureOf(key, file, expiresAt));
  const provided = Buffer.from(given);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return { ok: false, reason: 'bad_signature' };
  return expiresAt <= nowSeconds ? { ok: false, reason: 'expired' } : { ok: true, file };
}

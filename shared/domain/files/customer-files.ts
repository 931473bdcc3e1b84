import type { CustomerFile } from '../requests';
import type { PartProgress, SupportDesk, ThreadRef } from '../ports';
import { FILE_LIMITS, megabytes, safeFileName, type MissingFileReason } from './policy';
import { DownstreamError, PermanentDownstreamError } from '../../platform/errors';
import { downloadFile, FileTooLarge } from '../../platform/file-transfers';

/*
 * A customer's image, audio, video or file, from the bot's message that
 * carried it to the thread: downloaded from where the bot keeps it, then
 * uploaded to the desk with a line that says who sent it.
 */

export type CustomerFileOutcome = { readonly posted: true } | { readonly posted: false; readonly name: string; readonly reason: MissingFileReason; readonly detail: string };

export interface CustomerFileDependencies {
  readonly desk: Pick<SupportDesk, 'uploadFile'>;
  /**
   * The Botpress webhook's origin, which the operator configured: fetched over
   * plain HTTP too, and at any address (a local stand-in). Other URLs must be
   * HTTPS on a public address.
   */
  readonly botOrigin?: string | undefined;
}

/** The name a file goes by: its own, else the last part of its URL's path. */
export function customerFileName(file: CustomerFile): string {
  const fromUrl = (() => {
    try {
      return decodeURIComponent(new URL(file.url).pathname.split('/').at(-1) ?? '');
    } catch {
      return '';
    }
  })();
  return safeFileName(file.name || fromUrl, file.kind);
}

/**
 * Posts the file in the thread, or says why it could not be: over the size
 * limit, gone or refused where the bot keeps it, no answer there after the
 * file's tries (progress.fileTries counts them), or a rule of the desk's. A
 * failure that retrying may cure is thrown: a download's with the delay
 * before the file's next try, the desk's (down, rate limiting) as it is.
 */
export async function postCustomerFile(thread: ThreadRef, file: CustomerFile, customerName: string | undefined, progress: PartProgress, deps: CustomerFileDependencies): Promise<CustomerFileOutcome> {
  const name = customerFileName(file);
  const url = new URL(file.url);
  const configuredService = url.origin === deps.botOrigin;
  if (url.protocol !== 'https:' && !configuredService) {
    return { posted: false, name, reason: 'unreachable', detail: 'not an https URL' };
  }
  let download;
  try {
    download = await downloadFile(url.href, 'file-host', FILE_LIMITS.maxBytes, { configuredService });
  } catch (error) {
    if (error instanceof FileTooLarge) return { posted: false, name, reason: 'too_large', detail: `over ${megabytes(FILE_LIMITS.maxBytes)}` };
    if (error instanceof PermanentDownstreamError) return { posted: false, name, reason: 'unreachable', detail: error.message };
    const tries = (progress.fileTries ?? 0) + 1;
    if (tries >= FILE_LIMITS.tries) return { posted: false, name, reason: 'no_answer', detail: `${(error as Error).message}, ${tries} tries` };
    progress.fileTries = tries;
    throw new DownstreamError('file-host', `file not fetched, try ${tries} of ${FILE_LIMITS.tries}`, { cause: error, retryAfterMs: FILE_LIMITS.retryDelaysMs[tries - 1] });
  }
  const refusal = await deps.desk.uploadFile(thread, { name, kind: file.kind, body: download.body, contentType: download.contentType ?? 'application/octet-stream', customerName });
  if (refusal) return { posted: false, name, reason: refusal.refusedBy, detail: `the desk does not take it (${refusal.refusedBy})` };
  return { posted: true };
}

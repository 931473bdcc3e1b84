import { PermanentDownstreamError } from '../errors';
import type { SlackClient } from '../slack/client';
import { escapeSlackText } from '../slack/markup';
import { FILE_LIMITS, megabytes, safeFileName, type FileKind } from './policy';
import { downloadFile, FileTooLarge, uploadFileBytes } from './transfers';

/*
 * A customer's image, audio, video or file, from the Botpress message that
 * carried it to the Slack thread: downloaded from where Botpress keeps it,
 * then uploaded to Slack (files.getUploadURLExternal, the bytes, then
 * files.completeUploadExternal into the thread), with a line that says who
 * sent it.
 */

export interface CustomerFile {
  readonly url: string;
  readonly name?: string | undefined;
  readonly kind: FileKind;
}

export type CustomerFileOutcome = { readonly posted: true } | { readonly posted: false; readonly name: string; readonly reason: 'too_large' | 'unreachable'; readonly detail: string };

export interface CustomerFileDependencies {
  readonly slack: () => Promise<SlackClient>;
  /** Makes a Slack call, paced per channel and its errors classified (deliveries.ts, SlackPacer). */
  readonly pace: <T>(method: string, call: () => Promise<T>) => Promise<T>;
  /** Besides HTTPS URLs, the one origin the bridge fetches over plain HTTP: the Botpress stand-in's, locally. */
  readonly plainHttpOrigin?: string | undefined;
}

const A_KIND: Readonly<Record<FileKind, string>> = { image: 'an image', audio: 'an audio recording', video: 'a video', file: 'a file' };

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
 * limit, or gone or refused where Botpress keeps it. A failure that retrying
 * may cure (a timeout, a 5xx, Slack rate limiting) is thrown.
 */
export async function postCustomerFile(
  thread: { readonly channelId: string; readonly threadTs: string },
  file: CustomerFile,
  sender: string,
  deps: CustomerFileDependencies,
): Promise<CustomerFileOutcome> {
  const name = customerFileName(file);
  const url = new URL(file.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.origin === deps.plainHttpOrigin)) {
    return { posted: false, name, reason: 'unreachable', detail: 'not an https URL' };
  }
  let body: Buffer;
  let contentType: string | undefined;
  try {
    ({ body, contentType } = await downloadFile(url.href, 'file-host'));
  } catch (error) {
    if (error instanceof FileTooLarge) return { posted: false, name, reason: 'too_large', detail: `over ${megabytes(FILE_LIMITS.maxBytes)}` };
    if (error instanceof PermanentDownstreamError) return { posted: false, name, reason: 'unreachable', detail: error.message };
    throw error;
  }
  const slack = await deps.slack();
  const { upload_url: uploadUrl, file_id: fileId } = await deps.pace('files.getUploadURLExternal', () => slack.files.getUploadURLExternal({ filename: name, length: body.length }));
  if (!uploadUrl || !fileId) throw new PermanentDownstreamError('slack', 'files.getUploadURLExternal gave no upload URL', 'no_upload_url', 'a bug: the log names the call');
  await uploadFileBytes(uploadUrl, body, contentType ?? 'application/octet-stream');
  await deps.pace('files.completeUploadExternal', () =>
    slack.files.completeUploadExternal({
      files: [{ id: fileId, title: name }],
      channel_id: thread.channelId,
      thread_ts: thread.threadTs,
      initial_comment: `*${escapeSlackText(sender)}* sent ${A_KIND[file.kind]}:`,
    }),
  );
  return { posted: true };
}

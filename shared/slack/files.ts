import type { DeskFile, FileRefusal, ThreadRef, UploadedFile } from '../domain/ports';
import { safeFileName, type DeskFileRule } from '../domain/files/policy';
import { BridgeError, PermanentDownstreamError } from '../platform/errors';
import { downloadFile, FileTooLarge, uploadFileBytes } from '../platform/file-transfers';
import type { Log } from '../platform/logger';
import { callSlack, type SlackClient } from './client';
import { customerUsername } from './render/cards';
import { escapeSlackText } from './render/markup';

/*
 * Files through Slack's Web API: an agent's shared file described
 * (files.info, which Slack Connect needs: its events say `check_file_info`)
 * and read with the bot token (files:read); a customer's file uploaded into
 * the thread (files.getUploadURLExternal, the bytes, files.completeUploadExternal).
 */

/** Slack's file host: where a file's download starts, the bot token with it. */
const SLACK_FILE_HOST = 'https://files.slack.com';

/** Slack's own hosts, where a download may be redirected with the token. */
const isSlackHost = (url: URL): boolean => url.protocol === 'https:' && (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com'));

export async function describeSlackFile(slack: SlackClient, fileId: string, logger: Log): Promise<DeskFile | FileRefusal> {
  let file;
  try {
    ({ file } = await callSlack('files.info', () => slack.files.info({ file: fileId })));
  } catch (error) {
    if (!(error instanceof PermanentDownstreamError)) throw error;
    // Deleted meanwhile (file_not_found), or the app lacks files:read (missing_scope: the log says the fix).
    logger.error('could not read an agent’s file from Slack', { fileId, code: error.code, fix: error.fix, error });
    return { refused: error.code === 'file_not_found' ? 'deleted' : 'unreadable', name: fileId };
  }
  const name = safeFileName(file?.name ?? file?.title, fileId);
  const external = file?.mode === 'external' || !file?.url_private_download;
  return {
    id: fileId,
    name,
    mimetype: (file?.mimetype ?? 'application/octet-stream').toLowerCase(),
    size: file?.size,
    external,
    ...(file?.url_private_download ? { source: file.url_private_download } : {}),
  };
}

/** A file Slack would not let the bridge read. */
class UnreadableFile extends BridgeError {
  override readonly name = 'UnreadableFile';
}

export async function readSlackFile(
  slack: SlackClient,
  file: DeskFile,
  maxBytes: number,
  context: { readonly slackApiUrl: string | undefined; readonly logger: Log },
): Promise<Buffer | FileRefusal> {
  try {
    const url = file.source;
    if (!url) throw new UnreadableFile('no download URL: describe the file first');
    const origin = new URL(url).origin;
    const standIn = context.slackApiUrl !== undefined && origin === new URL(context.slackApiUrl).origin;
    if (origin !== SLACK_FILE_HOST && !standIn) {
      throw new UnreadableFile(`file URL on ${origin}, not Slack's file host: the bot token is not sent there`);
    }
    let download;
    try {
      const authorization = { authorization: `Bearer ${slack.token ?? ''}` };
      // Enterprise Grid has been seen to redirect a file URL to another *.slack.com host: followed there, with the token;
      // anywhere else, not at all (the token stays on Slack's hosts).
      const followRedirect = (to: URL) =>
        isSlackHost(to) ? { headers: authorization } : standIn && to.origin === origin ? { headers: authorization, configuredService: true } : undefined;
      download = await downloadFile(url, 'slack', maxBytes, { headers: authorization, configuredService: standIn, followRedirect });
    } catch (error) {
      // Too large, or a failure to retry, goes up as it is; a refusal (403, 404) is this file's alone.
      if (error instanceof PermanentDownstreamError) throw new UnreadableFile('Slack refused the file download', { cause: error });
      throw error;
    }
    // Without files:read, Slack answers a file URL with its sign-in page, 200 and HTML.
    if (download.contentType === 'text/html' && file.mimetype !== 'text/html') {
      throw new UnreadableFile('Slack answered with a sign-in page: add the files:read scope to the app (slack-app-manifest.yaml) and reinstall it');
    }
    return download.body;
  } catch (error) {
    if (error instanceof FileTooLarge) return { refused: 'too-large', name: file.name, maxBytes };
    if (!(error instanceof UnreadableFile)) throw error;
    context.logger.error('could not read an agent’s file from Slack', { fileId: file.id, error });
    return { refused: 'unreadable', name: file.name };
  }
}

/**
 * How long an upload may take to show in its thread before the next post
 * goes anyway (Slack shares within a second or so), and how often it is
 * looked for. Short: it counts against the job's budget (customer-message.ts).
 */
const SHARE_WAIT_MS = 2_000;
const SHARE_POLL_MS = 250;

/**
 * Until files.info lists the file as shared in the thread's channel, or
 * SHARE_WAIT_MS have passed. A failure to look ends the wait: the file is
 * uploaded, and failing now would upload it again.
 */
async function untilShared(slack: SlackClient, fileId: string, thread: ThreadRef, pace: <T>(method: string, call: () => Promise<T>) => Promise<T>): Promise<void> {
  const giveUpAt = Date.now() + SHARE_WAIT_MS;
  for (;;) {
    const answer = await pace('files.info', () => slack.files.info({ file: fileId })).catch(() => undefined);
    if (!answer) return;
    const { file } = answer;
    const shares = file?.shares as { public?: Record<string, unknown>; private?: Record<string, unknown> } | undefined;
    if (shares?.public?.[thread.channelId] ?? shares?.private?.[thread.channelId]) return;
    if (Date.now() >= giveUpAt) return;
    await new Promise((resolve) => setTimeout(resolve, SHARE_POLL_MS));
  }
}

const A_KIND: Readonly<Record<UploadedFile['kind'], string>> = { image: 'an image', audio: 'an audio recording', video: 'a video', file: 'a file' };

/**
 * What files.getUploadURLExternal answers when the workspace's settings keep
 * a file out (https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
 * "Errors"): this file's refusal, not the message's.
 */
const WORKSPACE_FILE_RULES: Readonly<Record<string, DeskFileRule>> = {
  file_uploads_disabled: 'uploads_disabled',
  file_uploads_except_images_disabled: 'type_not_allowed',
  file_type_not_allowed: 'type_not_allowed',
  file_upload_size_restricted: 'too_large_for_desk',
};

/**
 * Uploads a customer's file into the thread, with a line that says who sent
 * it; or says which of the workspace's rules keeps it out. `pace` makes each
 * Web API call (desk.ts).
 */
export async function uploadToThread(
  slack: SlackClient,
  thread: ThreadRef,
  file: UploadedFile,
  pace: <T>(method: string, call: () => Promise<T>) => Promise<T>,
): Promise<{ readonly refusedBy: DeskFileRule } | undefined> {
  let upload;
  try {
    upload = await pace('files.getUploadURLExternal', () => slack.files.getUploadURLExternal({ filename: file.name, length: file.body.length }));
  } catch (error) {
    const rule = error instanceof PermanentDownstreamError ? WORKSPACE_FILE_RULES[error.code] : undefined;
    if (rule) return { refusedBy: rule };
    throw error;
  }
  const { upload_url: uploadUrl, file_id: fileId } = upload;
  if (!uploadUrl || !fileId) throw new PermanentDownstreamError('slack', 'files.getUploadURLExternal gave no upload URL', 'no_upload_url', 'a bug: the log names the call');
  await uploadFileBytes(uploadUrl, file.body, file.contentType);
  await pace('files.completeUploadExternal', () =>
    slack.files.completeUploadExternal({
      files: [{ id: fileId, title: file.name }],
      channel_id: thread.channelId,
      thread_ts: thread.threadTs,
      initial_comment: `*${escapeSlackText(customerUsername(file.customerName))}* sent ${A_KIND[file.kind]}:`,
    }),
  );
  // Slack shares the upload in the thread asynchronously: the customer's next text waits until it shows, so that the
  // thread keeps the customer's order. Past SHARE_WAIT_MS it goes on regardless (the file is there, a moment late).
  await untilShared(slack, fileId, thread, pace);
  return undefined;
}

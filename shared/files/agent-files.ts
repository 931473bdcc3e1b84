import type { Logger } from '@aws-lambda-powertools/logger';
import { BridgeError, PermanentDownstreamError } from '../errors';
import { callSlack, type SlackClient } from '../slack/client';
import type { FileStore } from './file-store';
import { fileLink, objectKeyOf } from './links';
import { AGENT_FILE_TYPES_TEXT, agentFileKind, FILE_LIMITS, megabytes, safeFileName, type FileKind } from './policy';
import { downloadFile, FileTooLarge } from './transfers';

/*
 * An agent's files, for the customer: read from Slack with the bot token
 * (files:read), kept in the bucket, and linked with the bridge's signed link
 * (links.ts), so that the customer needs no Slack account and the link ends.
 */

/** A file as a file_share event names it: the id always; the rest may be missing (Slack Connect sends `file_access: check_file_info`). */
export interface SharedFile {
  readonly id: string;
}

/** What the customer gets: the kind tells Botpress how to show it. */
export interface SentFile {
  readonly name: string;
  readonly mimetype: string;
  readonly size: number;
  readonly kind: FileKind;
  readonly url: string;
}

/** A file the customer does not get, and why, in words for the agent. */
export interface RefusedFile {
  readonly name: string;
  readonly reason: string;
}

export interface AgentFileDependencies {
  readonly slack: () => Promise<SlackClient>;
  readonly files: FileStore;
  /** The key links are signed with (links.ts, fileLinkKey). */
  readonly linkKey: () => Promise<Buffer>;
  /** What links start with: the bridge's public URL. */
  readonly publicUrl: string;
  readonly linkSeconds: number;
  /** The Slack API's own origin when it is a stand-in: the bot token is sent with downloads from Slack's file host or from there only. */
  readonly slackApiUrl?: string | undefined;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly now?: () => number;
}

/** Slack's file host: the only place the bot token is sent with a download. */
const SLACK_FILE_HOST = 'https://files.slack.com';

/** A file Slack would not let the bridge read: refused for the agent, with the fix in the log. */
class UnreadableFile extends BridgeError {}

/**
 * Each file the agent shared, kept and linked, or refused with a reason the
 * agent reads. A failure retrying may cure (Slack or S3 down) is thrown, and
 * the whole reply is tried again: keeping a file twice overwrites it.
 */
export async function rehostAgentFiles(shared: readonly SharedFile[], deps: AgentFileDependencies): Promise<{ sent: SentFile[]; refused: RefusedFile[] }> {
  const sent: SentFile[] = [];
  const refused: RefusedFile[] = [];
  for (const [index, file] of shared.entries()) {
    if (index >= FILE_LIMITS.perMessage) {
      refused.push({ name: file.id, reason: `only ${FILE_LIMITS.perMessage} files go with one message` });
      continue;
    }
    const outcome = await rehostOne(file, deps);
    if ('reason' in outcome) refused.push(outcome);
    else sent.push(outcome);
  }
  return { sent, refused };
}

async function rehostOne(shared: SharedFile, deps: AgentFileDependencies): Promise<SentFile | RefusedFile> {
  const slack = await deps.slack();
  let file;
  try {
    ({ file } = await callSlack('files.info', () => slack.files.info({ file: shared.id })));
  } catch (error) {
    if (!(error instanceof PermanentDownstreamError)) throw error;
    // Deleted meanwhile (file_not_found), or the app lacks files:read (missing_scope: the log says the fix).
    deps.logger.error('could not read an agent’s file from Slack', { fileId: shared.id, code: error.code, fix: error.fix, error });
    return { name: shared.id, reason: error.code === 'file_not_found' ? 'it was deleted before the bridge could send it' : 'the bridge could not read it from Slack' };
  }
  const name = safeFileName(file?.name ?? file?.title, shared.id);
  const mimetype = (file?.mimetype ?? 'application/octet-stream').toLowerCase();
  const kind = agentFileKind(mimetype);
  if (file?.mode === 'external' || !file?.url_private_download) return { name, reason: 'it is a link to another service, not a file kept in Slack: paste the link instead' };
  if (!kind) return { name, reason: `files of type ${mimetype} are not sent to customers (only ${AGENT_FILE_TYPES_TEXT})` };
  if ((file.size ?? 0) > FILE_LIMITS.maxBytes) return { name, reason: `it is ${megabytes(file.size!)}, over the ${megabytes(FILE_LIMITS.maxBytes)} files may be` };

  let body: Buffer;
  try {
    body = await readFromSlack(file.url_private_download, mimetype, slack.token ?? '', deps);
  } catch (error) {
    if (error instanceof FileTooLarge) return { name, reason: `it is over the ${megabytes(FILE_LIMITS.maxBytes)} files may be` };
    if (error instanceof UnreadableFile) {
      deps.logger.error('could not read an agent’s file from Slack', { fileId: shared.id, error });
      return { name, reason: 'the bridge could not read it from Slack' };
    }
    throw error;
  }
  const fileRef = { fileId: shared.id, name };
  // Shown in the browser when it is an image; anything else is downloaded, never rendered from the bridge's link.
  const disposition = `${kind === 'image' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`;
  await deps.files.put(objectKeyOf(fileRef), body, { contentType: mimetype, disposition });
  const expiresAt = Math.floor((deps.now ?? Date.now)() / 1000) + deps.linkSeconds;
  return { name, mimetype, size: body.length, kind, url: fileLink(deps.publicUrl, fileRef, expiresAt, await deps.linkKey()) };
}

async function readFromSlack(url: string, mimetype: string, token: string, deps: AgentFileDependencies): Promise<Buffer> {
  const origin = new URL(url).origin;
  if (origin !== SLACK_FILE_HOST && (!deps.slackApiUrl || origin !== new URL(deps.slackApiUrl).origin)) {
    throw new UnreadableFile(`file URL on ${origin}, not Slack's file host: the bot token is not sent there`);
  }
  let download;
  try {
    download = await downloadFile(url, 'slack', { authorization: `Bearer ${token}` });
  } catch (error) {
    // Too large, or a failure to retry, goes up as it is; a refusal (403, 404) is this file's alone.
    if (error instanceof PermanentDownstreamError) throw new UnreadableFile('Slack refused the file download', { cause: error });
    throw error;
  }
  // Without files:read, Slack answers a file URL with its sign-in page, 200 and HTML.
  if (download.contentType === 'text/html' && mimetype !== 'text/html') {
    throw new UnreadableFile("Slack answered with a sign-in page: add the files:read scope to the app (slack-app-manifest.yaml) and reinstall it");
  }
  return download.body;
}

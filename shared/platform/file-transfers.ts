import { DownstreamError, PermanentDownstreamError } from './errors';
import { BodyTooLarge, RequestTimeout, sendHttpRequest, type HttpAnswer } from './node-http';
import { PrivateAddressRefused, publicOnlyAgent, refusedLiteral } from './public-address';

/** Per file transfer, either way: 20 MB between AWS and Slack or Botpress takes a second or two; 7 s is under 3 MB/s. */
export const FILE_TRANSFER_TIMEOUT_MS = 7_000;

/** The file is over the size allowed: not a failure to retry, but one to tell its sender about. */
export class FileTooLarge extends DownstreamError {
  override readonly name: string = 'FileTooLarge';
  constructor(
    service: DownstreamError['service'],
    readonly bytes: number | undefined,
    maxBytes: number,
    options?: { cause?: unknown },
  ) {
    super(service, `file over ${maxBytes} bytes${bytes === undefined ? '' : ` (${bytes})`}`, options);
  }
}

export interface Download {
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

export interface DownloadOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A service the operator configured (a local stand-in on loopback): fetched
   * wherever it is. Anything else is fetched from public addresses only.
   */
  readonly configuredService?: boolean;
  /** How to go on at a redirect to this URL (its headers, whether configured), or undefined not to follow it. Not followed without. */
  readonly followRedirect?: (to: URL) => Omit<DownloadOptions, 'followRedirect'> | undefined;
}

/** Redirects followed at most, where the caller follows them at all. */
export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * GETs a file, taking at most maxBytes (a longer one is cut off
 * unread: FileTooLarge). A 5xx, 408, 429 or timeout is a DownstreamError to
 * retry; any other answer but 200, a redirect not followed, or a host on a
 * private or local address, a PermanentDownstreamError.
 */
export async function downloadFile(url: string, service: DownstreamError['service'], maxBytes: number, options: DownloadOptions = {}): Promise<Download> {
  let target = new URL(url);
  let hop: Omit<DownloadOptions, 'followRedirect'> = options;
  for (let redirects = 0; ; redirects += 1) {
    const answer = await getOnce(target, service, maxBytes, hop);
    const location = REDIRECT_STATUSES.has(answer.status) ? answer.headers.location : undefined;
    if (location === undefined || !options.followRedirect) return settle(answer, service);
    const next = new URL(location, target);
    const nextHop = redirects < MAX_REDIRECTS ? options.followRedirect(next) : undefined;
    if (!nextHop) {
      throw new PermanentDownstreamError(service, `file download redirected to ${next.origin}, not followed`, 'redirect_refused', 'nothing: the file is not where the bridge may fetch it; its sender is told', {
        status: answer.status,
      });
    }
    target = next;
    hop = nextHop;
  }
}

async function getOnce(target: URL, service: DownstreamError['service'], maxBytes: number, options: Omit<DownloadOptions, 'followRedirect'>): Promise<HttpAnswer> {
  try {
    const exchange = { url: target, method: 'GET', headers: options.headers, timeoutMs: FILE_TRANSFER_TIMEOUT_MS, maxBodyBytes: maxBytes };
    if (options.configuredService) return await sendHttpRequest(exchange);
    const refused = refusedLiteral(target);
    if (refused) throw refused;
    return await sendHttpRequest({ ...exchange, agent: publicOnlyAgent(target.protocol) });
  } catch (error) {
    if (error instanceof BodyTooLarge) throw new FileTooLarge(service, error.announcedBytes, maxBytes, { cause: error });
    if (error instanceof PrivateAddressRefused) {
      throw new PermanentDownstreamError(service, 'file on a private or local address', 'private_address', 'nothing: the bridge fetches files from public addresses only', { cause: error });
    }
    throw new DownstreamError(service, error instanceof RequestTimeout ? 'file download timed out' : 'file download failed', { cause: error });
  }
}

function settle(answer: HttpAnswer, service: DownstreamError['service']): Download {
  if (answer.status === 200) return { body: answer.body, contentType: answer.headers['content-type']?.split(';')[0]?.trim().toLowerCase() };
  if (answer.status >= 500 || answer.status === 408 || answer.status === 429) {
    throw new DownstreamError(service, `file download failed: HTTP ${answer.status}`, { status: answer.status });
  }
  throw new PermanentDownstreamError(service, `file download refused: HTTP ${answer.status}`, `http_${answer.status}`, 'nothing: the file is gone or not readable; its sender is told', {
    status: answer.status,
  });
}

/** POSTs a file's bytes to the upload URL Slack gave (files.getUploadURLExternal); Slack answers 200. */
export async function uploadFileBytes(uploadUrl: string, body: Buffer, contentType: string): Promise<void> {
  let status: number;
  try {
    ({ status } = await sendHttpRequest({ url: uploadUrl, method: 'POST', headers: { 'content-type': contentType }, body, timeoutMs: FILE_TRANSFER_TIMEOUT_MS }));
  } catch (error) {
    throw new DownstreamError('slack', 'file upload failed', { cause: error });
  }
  if (status >= 500 || status === 408 || status === 429) throw new DownstreamError('slack', `file upload failed: HTTP ${status}`, { status });
  if (status !== 200) throw new PermanentDownstreamError('slack', `file upload refused: HTTP ${status}`, `http_${status}`, 'a bug: Slack refused the upload; the log names it', { status });
}

import { jsonResponse, type HttpResponse } from '../../platform/http';
import type { FileStore, Log } from '../ports';
import { checkFileLink, objectKeyOf } from './links';

/** How long the presigned URL a link redirects to works: long enough to start the download, too short to pass around. */
export const REDIRECT_SECONDS = 300;

export interface OpenLinkDependencies {
  readonly files: Pick<FileStore, 'presignedGet'>;
  readonly linkKey: () => Promise<Buffer>;
  readonly logger: Pick<Log, 'info'>;
  readonly now?: () => number;
}

/**
 * A customer opening an agent's file: a good link is answered with a
 * redirect to the file in S3, a wrong one with a 404 that says nothing of
 * why (the reason is logged), an expired one with a 410 that says so.
 */
export async function openFileLink(path: string, query: Readonly<Record<string, string | undefined>>, deps: OpenLinkDependencies): Promise<HttpResponse> {
  const check = checkFileLink(path, query, await deps.linkKey(), Math.floor((deps.now ?? Date.now)() / 1000));
  if (!check.ok) {
    deps.logger.info('file link refused', { reason: check.reason });
    return check.reason === 'expired'
      ? { statusCode: 410, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'This link has expired. Ask the support team to send the file again.' }
      : jsonResponse(404, { error: 'not_found' });
  }
  const location = await deps.files.presignedGet(objectKeyOf(check.file), REDIRECT_SECONDS);
  // no-store: a cached redirect would outlive the URL it points to. no-referrer: the link stays out of S3's logs of referrers.
  return { statusCode: 302, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
}

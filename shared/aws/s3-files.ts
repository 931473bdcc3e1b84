import type { S3Client } from '@aws-sdk/client-s3';
import { localEndpoint } from './attempts';
import type { FileStore } from '../domain/ports';
import { callDownstream } from '../platform/errors';

export interface S3FileStoreOptions {
  readonly bucket: string;
  /** An S3-API server other than AWS's (the embedded one locally). */
  readonly endpoint?: string | undefined;
}

/** What a client of a local S3-API server signs with: s3rver's own key, the only one the embedded server takes. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Per attempt: a 20 MB upload from Lambda to S3 in its region takes well under a second. */
const S3_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * The bucket through the AWS SDK, loaded on first use (infra/bundling.ts,
 * LAZY_MODULES): only a reply with a file or a customer opening one pays for it.
 */
export function s3FileStore(options: S3FileStoreOptions): FileStore {
  let client: Promise<S3Client> | undefined;
  const s3 = () =>
    (client ??= import('@aws-sdk/client-s3').then(
      ({ S3Client }) =>
        new S3Client({
          requestHandler: { connectionTimeout: 1_000, requestTimeout: S3_ATTEMPT_TIMEOUT_MS, throwOnRequestTimeout: true },
          // The embedded S3 checks signatures made with its own key (local/embedded-s3.ts), and takes paths, not subdomains.
          ...localEndpoint(options.endpoint, { ...LOCAL_S3_CREDENTIALS }),
          ...(options.endpoint ? { forcePathStyle: true } : {}),
        }),
    ));
  return {
    put: (key, body, meta) =>
      callDownstream('s3', 'put file', async () => {
        const { PutObjectCommand } = await import('@aws-sdk/client-s3');
        await (await s3()).send(
          new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, ContentType: meta.contentType, ContentDisposition: meta.disposition }),
        );
      }),
    presignedGet: (key, seconds) =>
      callDownstream('s3', 'sign file link', async () => {
        const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
        return getSignedUrl(await s3(), new GetObjectCommand({ Bucket: options.bucket, Key: key }), { expiresIn: seconds });
      }),
  };
}

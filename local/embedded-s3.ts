import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sha256 } from '@smithy/core/checksum';
import { getCanonicalQuery, getSigningKey } from '@smithy/signature-v4';
import { LOCAL_S3_CREDENTIALS } from '../shared/aws/s3-files';

/** s3rver ships no types; this is the part of its API the project uses. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: { port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[] }) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

/*
 * An S3-API server on loopback: s3rver (objects, metadata, ranges, S3's XML
 * errors), behind a front that is as strict as S3 where s3rver is kind.
 * s3rver serves anonymous requests and takes any Signature Version 4, so a
 * private bucket would look public and a forged link would open; the front
 * answers 403 AccessDenied to a request without a signature, 403
 * SignatureDoesNotMatch to a wrong one (header or presigned URL, checked as
 * S3 does, LOCAL_S3_CREDENTIALS being the only key), and 403 to a presigned
 * URL past its X-Amz-Expires.
 */

export interface EmbeddedS3 {
  readonly endpoint: string;
  /** Requests refused, and why: tests read them. */
  readonly refusals: { readonly method: string; readonly path: string; readonly code: string }[];
  close(): Promise<void>;
}

export async function startEmbeddedS3(options: { buckets: readonly string[]; directory?: string | undefined }): Promise<EmbeddedS3> {
  const directory = options.directory ?? mkdtempSync(path.join(tmpdir(), 's3-'));
  const inner = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: options.buckets.map((name) => ({ name })) });
  const { port: innerPort } = await inner.run();
  const refusals: { method: string; path: string; code: string }[] = [];

  const front: Server = createServer((request, response) => {
    void (async () => {
      const body = await readAll(request);
      const refusal = await refusalOf(request, body, Date.now());
      if (refusal) {
        refusals.push({ method: request.method ?? '', path: request.url ?? '', code: refusal.code });
        response.writeHead(403, { 'content-type': 'application/xml' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`);
        return;
      }
      const forwarded = httpRequest({ host: '127.0.0.1', port: innerPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forwarded.once('error', (error) => response.destroy(error));
      forwarded.end(body);
    })().catch((error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    refusals,
    close: async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await inner.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}

function readAll(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

type Refusal = { readonly code: 'AccessDenied' | 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'XAmzContentSHA256Mismatch'; readonly message: string };

const SIGNATURE_PARTS = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Why S3 would refuse the request, if it would: the checks of Signature Version 4, in header or query. */
async function refusalOf(request: IncomingMessage, body: Buffer, now: number): Promise<Refusal | undefined> {
  const url = new URL(request.url ?? '/', 'http://s3.local');
  const query = Object.fromEntries([...url.searchParams.keys()].map((key) => [key, url.searchParams.getAll(key).length > 1 ? url.searchParams.getAll(key) : url.searchParams.get(key)!]));
  const authorization = request.headers.authorization;
  let parts: { accessKeyId: string; shortDate: string; region: string; signedHeaders: string[]; signature: string; longDate: string; payloadHash: string };
  if (authorization) {
    const match = SIGNATURE_PARTS.exec(authorization);
    if (!match) return { code: 'AccessDenied', message: 'Unsupported Authorization' };
    const longDate = String(request.headers['x-amz-date'] ?? '');
    const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
    if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
      return { code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
    }
    parts = { accessKeyId: match[1]!, shortDate: match[2]!, region: match[3]!, signedHeaders: match[4]!.split(';'), signature: match[5]!, longDate, payloadHash };
  } else if (query['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256') {
    const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request$/.exec(String(query['X-Amz-Credential']));
    const longDate = String(query['X-Amz-Date']);
    const expires = Number(query['X-Amz-Expires']);
    if (!credential || !/^\d{8}T\d{6}Z$/.test(longDate) || !Number.isInteger(expires)) return { code: 'AccessDenied', message: 'Malformed presigned URL' };
    const signedAt = Date.UTC(+longDate.slice(0, 4), +longDate.slice(4, 6) - 1, +longDate.slice(6, 8), +longDate.slice(9, 11), +longDate.slice(11, 13), +longDate.slice(13, 15));
    if (now > signedAt + expires * 1000) return { code: 'AccessDenied', message: 'Request has expired' };
    parts = {
      accessKeyId: credential[1]!,
      shortDate: credential[2]!,
      region: credential[3]!,
      signedHeaders: String(query['X-Amz-SignedHeaders']).split(';'),
      signature: String(query['X-Amz-Signature']),
      longDate,
      payloadHash: String(query['X-Amz-Content-Sha256'] ?? 'UNSIGNED-PAYLOAD'),
    };
  } else {
    return { code: 'AccessDenied', message: 'Access Denied' };
  }
  if (parts.accessKeyId !== LOCAL_S3_CREDENTIALS.accessKeyId) return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };

  const canonicalHeaders = parts.signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`).join('\n');
  const canonicalRequest = [request.method, url.pathname, getCanonicalQuery({ method: request.method ?? 'GET', headers: {}, protocol: 'http:', hostname: url.hostname, path: url.pathname, query }), `${canonicalHeaders}\n`, parts.signedHeaders.join(';'), parts.payloadHash].join('\n');
  const scope = `${parts.shortDate}/${parts.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', parts.longDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = await getSigningKey(Sha256, LOCAL_S3_CREDENTIALS, parts.shortDate, parts.region, 's3');
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const provided = Buffer.from(parts.signature);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
  }
  return undefined;
}

const headerValue = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
};

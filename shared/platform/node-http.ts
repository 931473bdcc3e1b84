import type { Agent, ClientRequest, IncomingHttpHeaders, RequestOptions } from 'node:http';

// Not `import { request } from 'node:http'`: on Node.js 22 and later that import loads undici at every cold start
// (bench/README.md, "Cold start"); getBuiltinModule reads nothing.
const { request: httpRequest } = process.getBuiltinModule('node:http');
const { request: httpsRequest } = process.getBuiltinModule('node:https');

export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

/** The answer's body was longer than the caller takes (`maxBodyBytes`); the transfer was cut off. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
  constructor(readonly maxBytes: number, readonly announcedBytes: number | undefined) {
    super(`answer body over ${maxBytes} bytes${announcedBytes === undefined ? '' : ` (${announcedBytes} announced)`}`);
  }
}

export interface HttpExchange {
  readonly url: string | URL;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Bounds the whole exchange, from the request to the last byte of the answer. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
  /** The longest answer body taken (a file download); a longer one fails with BodyTooLarge, unread. */
  readonly maxBodyBytes?: number;
  /** Connections from this agent rather than Node's global one (see public-address.ts). */
  readonly agent?: Agent;
}

export interface HttpAnswer {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * The bridge's one HTTP client, for the Botpress webhook and (as its `fetch`)
 * the Slack Web API: node:http(s) rather than fetch, whose first use and
 * per-request CPU cost a cold container dearly (bench/README.md, "The first request").
 * Node's default agents keep connections alive and close them after 5 s idle,
 * before servers commonly drop them; but that timer cannot run while Lambda
 * has the container frozen, so a kept-alive connection may already be closed
 * at the other end when it is reused: see sendOnce.
 */
export function sendHttpRequest(exchange: HttpExchange): Promise<HttpAnswer> {
  const target = new URL(exchange.url);
  const headers: Record<string, string | number> = { ...exchange.headers };
  if (exchange.body !== undefined) headers['content-length'] = Buffer.byteLength(exchange.body);
  const attempt: Attempt = {
    target,
    options: { method: exchange.method, headers, ...(exchange.signal ? { signal: exchange.signal } : {}), ...(exchange.agent ? { agent: exchange.agent } : {}) },
    body: exchange.body,
    maxBodyBytes: exchange.maxBodyBytes,
    timeoutMs: exchange.timeoutMs,
    deadline: exchange.timeoutMs === undefined ? undefined : Date.now() + exchange.timeoutMs,
  };
  return sendOnce(attempt, true);
}

/** POSTs a JSON body and resolves with the status once the answer has been read. */
export async function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<number> {
  const answer = await sendHttpRequest({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, timeoutMs });
  return answer.status;
}

interface Attempt {
  readonly target: URL;
  readonly options: RequestOptions;
  readonly body: string | Buffer | undefined;
  readonly maxBodyBytes: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Shared by a first attempt and its resend: the caller's budget is for the whole exchange. */
  readonly deadline: number | undefined;
}

function sendOnce(attempt: Attempt, mayResend: boolean): Promise<HttpAnswer> {
  const { target, options, body, timeoutMs, deadline, maxBodyBytes } = attempt;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const request: ClientRequest = send(target, options, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      let received = 0;
      const announced = response.headers['content-length'] === undefined ? undefined : Number(response.headers['content-length']);
      const tooLarge = () => request.destroy(new BodyTooLarge(maxBodyBytes!, announced));
      if (maxBodyBytes !== undefined && announced !== undefined && announced > maxBodyBytes) return tooLarge();
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (maxBodyBytes !== undefined && received > maxBodyBytes) return tooLarge();
        chunks.push(chunk);
      });
      response.once('end', () =>
        resolve({ url: target.href, status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.once('error', reject);
    });
    if (deadline !== undefined) {
      const timer = setTimeout(() => request.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)), Math.max(deadline - Date.now(), 0));
      request.once('close', () => clearTimeout(timer));
    }
    request.once('error', (error: NodeJS.ErrnoException) => {
      // A reused connection reset before any answer is one the server had closed while it sat idle, the race
      // Node's documentation describes for request.reusedSocket: sent again once, on a fresh connection.
      if (mayResend && request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        resolve(sendOnce(attempt, false));
      } else {
        reject(error);
      }
    });
    request.end(body);
  });
}

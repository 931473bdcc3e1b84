import { request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

/**
 * POSTs a JSON body and resolves with the status once the answer has been read
 * to its end; the whole exchange, not one socket read, is bounded by timeoutMs.
 * node:http(s) rather than fetch: Node loads fetch's implementation (undici) on
 * first use, which cost a cold container ~60 ms before its first forwarded
 * reply, and each request costs about twice the CPU (README, Performance).
 * Node's default agents keep connections alive and close them after 5 s idle,
 * before servers commonly drop them; but that timer cannot run while Lambda
 * has the container frozen, so a kept-alive connection may already be closed
 * at the other end when it is reused: see sendOnce.
 */
export function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<number> {
  const exchange: Exchange = {
    target: new URL(url),
    options: { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
    body,
    timeoutMs,
    deadline: Date.now() + timeoutMs,
  };
  return sendOnce(exchange, true);
}

interface Exchange {
  readonly target: URL;
  readonly options: RequestOptions;
  readonly body: string;
  readonly timeoutMs: number;
  /** Shared by a first attempt and its resend: the caller's budget is for the whole exchange. */
  readonly deadline: number;
}

function sendOnce(exchange: Exchange, mayResend: boolean): Promise<number> {
  const { target, options, body, timeoutMs, deadline } = exchange;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const request: ClientRequest = send(target, options, (response) => {
      answered = true;
      // The body is not needed, but it must be read for the connection to be reused.
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', reject);
    });
    const timer = setTimeout(() => request.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)), Math.max(deadline - Date.now(), 0));
    request.once('close', () => clearTimeout(timer));
    request.once('error', (error: NodeJS.ErrnoException) => {
      // A reused connection reset before any answer is one the server had closed while it sat idle, the race
      // Node's documentation describes for request.reusedSocket: sent again once, on a fresh connection.
      if (mayResend && request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        resolve(sendOnce(exchange, false));
      } else {
        reject(error);
      }
    });
    request.end(body);
  });
}

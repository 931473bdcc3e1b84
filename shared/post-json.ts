import { request as httpRequest } from 'node:http';
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
 * before servers commonly drop them (a reused socket the server closed fails the request).
 */
export function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        // The body is not needed, but it must be read for the connection to be reused.
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    const timer = setTimeout(() => request.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.once('close', () => clearTimeout(timer));
    request.once('error', reject);
    request.end(body);
  });
}

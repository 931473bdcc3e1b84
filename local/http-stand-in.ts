import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body as bytes (a file upload). */
  readonly body: Buffer;
  /** The client's port: two requests with the same one came over one kept-alive connection. */
  readonly clientPort: number | undefined;
}

export interface StandIn {
  readonly url: string;
  close(): Promise<void>;
}

/** A loopback HTTP server; `respond` decides each answer. Used to stand in for Slack's Web API and Botpress. */
export async function startHttpStandIn(
  respond: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<StandIn> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: body.toString('utf8'), body, clientPort: req.socket.remotePort };
      Promise.resolve(respond(recorded, res)).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

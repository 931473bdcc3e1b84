import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../../shared/platform/node-http';

/*
 * A server that plays the race Node documents for request.reusedSocket: a
 * kept-alive connection it has given up on, here by resetting it when the
 * next request arrives, as the client of a container Lambda froze meets it.
 */
interface ResettingServer {
  url: string;
  /** Requests answered, each with the client port of its connection. */
  readonly answered: number[];
  resets: number;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function startResettingServer(resetWhen: (requestOnConnection: number, answeredSoFar: number) => boolean): Promise<ResettingServer> {
  const perConnection = new Map<Socket, number>();
  const state: ResettingServer = { url: '', answered: [], resets: 0 };
  server = createServer((req, res: ServerResponse) => {
    const nth = (perConnection.get(req.socket) ?? 0) + 1;
    perConnection.set(req.socket, nth);
    if (resetWhen(nth, state.answered.length)) {
      state.resets += 1;
      req.socket.resetAndDestroy();
      return;
    }
    req.resume();
    req.on('end', () => {
      state.answered.push(req.socket.remotePort ?? 0);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  state.url = `http://127.0.0.1:${port}/webhook`;
  return state;
}

describe('postJson', () => {
  it('sends again, on a fresh connection, when a reused connection is reset before any answer', async () => {
    const target = await startResettingServer((nth) => nth === 2);

    expect(await postJson(target.url, {}, '{"n":1}', 1_000)).toBe(202);
    expect(await postJson(target.url, {}, '{"n":2}', 1_000)).toBe(202);

    expect(target.resets).toBe(1);
    expect(target.answered).toHaveLength(2);
    expect(target.answered[1]).not.toBe(target.answered[0]);
  });

  it('sends only once more: a second reset is the caller’s failure', async () => {
    const target = await startResettingServer((_nth, answeredSoFar) => answeredSoFar > 0);

    expect(await postJson(target.url, {}, '{"n":1}', 1_000)).toBe(202);
    await expect(postJson(target.url, {}, '{"n":2}', 1_000)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(target.resets).toBe(2);
  });

  it('does not send again when a fresh connection is reset: the server may have read it', async () => {
    const target = await startResettingServer(() => true);

    await expect(postJson(target.url, {}, '{"n":1}', 1_000)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(target.resets).toBe(1);
  });
});

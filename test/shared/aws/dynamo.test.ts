import { createServer, type Server, type Socket } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, dynamo } from '../../../shared/aws/dynamo';
import { DownstreamError } from '../../../shared/platform/errors';

// A DynamoDB endpoint that accepts connections and never answers: a call lost mid-request.
let silent: Server;
const connections: Socket[] = [];
let endpoint: string;
beforeAll(async () => {
  silent = createServer((socket) => {
    connections.push(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('createDocumentClient', () => {
  it('gives up on a DynamoDB call that hangs, after the SDK has retried it, as a downstream failure', async () => {
    const client = createDocumentClient({ endpoint, requestTimeoutMs: 100 });
    const started = performance.now();
    const error = await dynamo('GetItem', () => client.send(new GetCommand({ TableName: 't', Key: { pk: 'thread#C1_1.2' } }))).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).toMatchObject({ service: 'dynamodb', cause: { name: 'TimeoutError' } });
    expect(connections.length).toBeGreaterThan(1);
    // Bounded by the timeouts and the SDK's backoff, far below a Lambda timeout.
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

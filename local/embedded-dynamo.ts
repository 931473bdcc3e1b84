import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { OPEN_HANDOFFS } from '../shared/aws/handoff-store';

/** dynalite ships no types; this is the part of its API the project uses. */
type Dynalite = (options?: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface EmbeddedDynamo {
  readonly endpoint: string;
  /** The operations asked of an in-process server, in order (`GetItem`, …): tests count them. */
  readonly operations?: string[];
  /** The child process serving it now (`ownProcess`), which changes when it is restarted. */
  readonly pid?: number | undefined;
  close(): Promise<void>;
}

/** What a supervised child process reports: a restart, or that it keeps dying and the bridge should stop. */
export interface Supervision {
  readonly onRestart?: (message: string) => void;
  readonly onGiveUp?: (error: Error) => void;
}

/** A child that dies more often than this within RESTART_WINDOW_MS is not restarted again: something is wrong beyond a restart. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * A DynamoDB-API server (dynalite) on loopback. With `path`, data is kept on
 * disk there and survives restarts; without it, it lives in memory. With
 * `ownProcess`, it runs in a child process (the local bridge): dynalite is
 * JavaScript, and in-process it would take turns with the handlers on one event loop.
 */
export async function startEmbeddedDynamo(options: { path?: string | undefined; host?: string; ownProcess?: boolean; supervision?: Supervision } = {}): Promise<EmbeddedDynamo> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  if (options.ownProcess) return startDynaliteProcess(options.path, options.supervision ?? {});
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const operations: string[] = [];
  server.on('request', (request: IncomingMessage) => operations.push(String(request.headers['x-amz-target']).split('.').at(-1)!));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    operations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Creates the bridge's table (key `pk`, on demand, the open handoffs' index) unless it exists; the shape matches the CDK stack's. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === OPEN_HANDOFFS.indexName)) {
      // dynalite cannot add an index to a table (UpdateTable creates none): the queue view fails until the table is made anew.
      console.warn(`The table ${tableName} has no ${OPEN_HANDOFFS.indexName} index (made by an older version): the Home tab's queue cannot be read. Start with an empty BRIDGE_DATA_DIR to have it.`);
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: OPEN_HANDOFFS.partitionKey, AttributeType: 'S' },
          { AttributeName: OPEN_HANDOFFS.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: OPEN_HANDOFFS.indexName,
            KeySchema: [
              { AttributeName: OPEN_HANDOFFS.partitionKey, KeyType: 'HASH' },
              { AttributeName: OPEN_HANDOFFS.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    client.destroy();
  }
}

/**
 * dynalite in a child process, supervised: should it die (killed, out of
 * memory), it is started again on the same port, so that the handlers'
 * endpoint holds and the data on disk is served again. Dying more than
 * MAX_RESTARTS times within a minute is reported instead (onGiveUp).
 */
async function startDynaliteProcess(dataPath: string | undefined, supervision: Supervision): Promise<EmbeddedDynamo> {
  let closing = false;
  let port = 0;
  let child: ChildProcess;
  let exited: Promise<void> = Promise.resolve();
  const deaths: number[] = [];

  const start = async (): Promise<void> => {
    child = spawn(process.execPath, [new URL('./dynalite-process.mjs', import.meta.url).pathname, dataPath ?? '', String(port)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    port = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /listening (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
    });
    child.once('exit', (code, signal) => {
      if (!closing) restart(signal ?? `code ${code}`);
    });
  };

  const restart = (how: string): void => {
    const now = Date.now();
    deaths.push(now);
    while (deaths[0]! < now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      supervision.onGiveUp?.(new Error(`the embedded DynamoDB (dynalite) exited ${deaths.length} times within a minute, the last time by ${how}`));
      return;
    }
    start().then(
      () => supervision.onRestart?.(`the embedded DynamoDB (dynalite) exited (${how}); restarted it on port ${port} (process ${child.pid})`),
      (error: unknown) => supervision.onGiveUp?.(new Error(`the embedded DynamoDB (dynalite) exited (${how}) and could not be restarted`, { cause: error })),
    );
  };

  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    close: async () => {
      closing = true;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

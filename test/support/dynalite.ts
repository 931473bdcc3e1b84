import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { createDocumentClient } from '../../shared/dynamo';

/** dynalite ships no types; this is the part of its API the project uses. */
type Dynalite = (options?: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  readonly documentClient: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** A real DynamoDB-API server (dynalite, in memory) on loopback, with the bridge's table created. */
export async function startLocalDynamo(tableName = 'bridge-test'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  raw.destroy();
  const documentClient = createDocumentClient({ endpoint });
  return {
    endpoint,
    tableName,
    documentClient,
    close: async () => {
      documentClient.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

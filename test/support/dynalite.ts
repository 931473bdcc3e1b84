import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startEmbeddedDynamo } from '../../local/embedded-dynamo';
import { createDocumentClient } from '../../shared/aws/dynamo';

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  readonly documentClient: DynamoDBDocumentClient;
  /** Every operation asked of the server so far (`GetItem`, `PutItem`, …), in order. */
  readonly operations: string[];
  close(): Promise<void>;
}

/** A real DynamoDB-API server (dynalite, in memory) on loopback, with the bridge's table created. */
export async function startLocalDynamo(tableName = 'bridge-test'): Promise<LocalDynamo> {
  const server = await startEmbeddedDynamo();
  await ensureTable(server.endpoint, tableName);
  const documentClient = createDocumentClient({ endpoint: server.endpoint });
  return {
    endpoint: server.endpoint,
    tableName,
    documentClient,
    operations: server.operations!,
    close: async () => {
      documentClient.destroy();
      await server.close();
    },
  };
}

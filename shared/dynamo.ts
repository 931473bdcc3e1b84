import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callDownstream } from './errors';

export function createDocumentClient(options: { endpoint?: string | undefined } = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(
    options.endpoint
      ? {
          endpoint: options.endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          // A local DynamoDB-API server ignores credentials, but the SDK insists on having some.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one DynamoDB call; a failed condition is an expected answer (returned as
 * `false`), anything else is a downstream failure with the SDK error as cause.
 */
export async function conditionally(operation: string, call: () => Promise<unknown>): Promise<boolean> {
  return dynamo(operation, () =>
    call().then(
      () => true,
      (error: unknown) => {
        if (isConditionalCheckFailure(error)) return false;
        throw error;
      },
    ),
  );
}

export const dynamo = <T>(operation: string, call: () => Promise<T>): Promise<T> => callDownstream('dynamodb', operation, call);

export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

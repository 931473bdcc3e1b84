import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundedAttempts, localEndpoint } from './attempts';
import { callDownstream } from '../platform/errors';

export interface DocumentClientOptions {
  /** A local DynamoDB-API server; the region's endpoint when absent. */
  readonly endpoint?: string | undefined;
  /** Per attempt (the SDK makes up to 4 for DynamoDB). */
  readonly requestTimeoutMs?: number;
}

export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    requestHandler: boundedAttempts(options.requestTimeoutMs),
    ...localEndpoint(options.endpoint),
  });
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

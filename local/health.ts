import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { boundedAttempts, localEndpoint } from '../shared/aws/attempts';
import { LOCAL_S3_CREDENTIALS } from '../shared/aws/s3-files';
import { createSqsClient } from '../shared/aws/sqs-queue';

/** Each service's answer: `ok`, or what went wrong (an error's name, never a message with data in it). */
export interface HealthReport {
  readonly healthy: boolean;
  readonly services: Readonly<Record<'dynamodb' | 'sqs' | 's3', string>>;
}

export interface HealthChecks {
  check(): Promise<HealthReport>;
  close(): void;
}

/** A service that has not answered in this long is reported as down: /healthz must answer a supervisor promptly. */
const CHECK_TIMEOUT_MS = 1_000;

/**
 * What `GET /healthz` asks of the services the bridge writes to: the table,
 * the delivery queue and the file bucket, each with one cheap read, at once.
 */
export function healthChecks(targets: {
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
}): HealthChecks {
  const requestHandler = boundedAttempts(CHECK_TIMEOUT_MS);
  const dynamodb = new DynamoDBClient({ requestHandler, maxAttempts: 1, ...localEndpoint(targets.dynamodbEndpoint) });
  const sqs: SQSClient = createSqsClient({ endpoint: targets.sqsEndpoint, requestTimeoutMs: CHECK_TIMEOUT_MS });
  const s3 = new S3Client({ requestHandler, maxAttempts: 1, forcePathStyle: true, ...localEndpoint(targets.s3Endpoint, { ...LOCAL_S3_CREDENTIALS }) });
  const probe = (call: () => Promise<unknown>): Promise<string> =>
    call().then(
      () => 'ok',
      (error: unknown) => (error instanceof Error ? error.name : 'failed'),
    );
  return {
    check: async () => {
      const [dynamodbState, sqsState, s3State] = await Promise.all([
        probe(() => dynamodb.send(new DescribeTableCommand({ TableName: targets.tableName }))),
        probe(() => sqs.send(new GetQueueAttributesCommand({ QueueUrl: targets.queueUrl, AttributeNames: ['QueueArn'] }))),
        probe(() => s3.send(new HeadBucketCommand({ Bucket: targets.bucket }))),
      ]);
      const services = { dynamodb: dynamodbState, sqs: sqsState, s3: s3State };
      return { healthy: Object.values(services).every((state) => state === 'ok'), services };
    },
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
      s3.destroy();
    },
  };
}

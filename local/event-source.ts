import { lambdaContext } from './lambda-context';
import { apartFromOthers } from '../shared/platform/logger';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type BatchResultErrorEntry,
  type DeleteMessageBatchCommandInput,
  type Message,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** The two calls Lambda's poller makes of SQS. */
export interface PolledQueueApi {
  receiveMessage(input: ReceiveMessageCommandInput): Promise<{ readonly Messages?: Message[] | undefined }>;
  deleteMessageBatch(input: DeleteMessageBatchCommandInput): Promise<{ readonly Failed?: BatchResultErrorEntry[] | undefined }>;
}

export interface SqsEventSourceOptions {
  /**
   * An SQS client, or the embedded queue's own API in-process (EmbeddedSqs.pollerApi): in AWS the pollers are
   * Lambda's and cost the function nothing, where through the SDK and loopback HTTP they cost `npm start` CPU.
   */
  readonly client: SQSClient | PolledQueueApi;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** The function's timeout: an invocation that outlives it fails, as in Lambda. */
  readonly timeoutMs: number;
  readonly batchSize?: number;
  /** Invocations at once; Lambda runs up to one per active FIFO message group. */
  readonly concurrency?: number;
  readonly onError?: (error: unknown) => void;
}

export interface SqsEventSource {
  /** Stops receiving, and resolves once the invocations under way have finished and their messages been deleted. */
  stop(): Promise<void>;
}

/**
 * Lambda's SQS event source mapping, for `npm start` and the tests: polls the
 * queue, invokes the handler with a batch as Lambda shapes it, and deletes
 * what the handler did not report as failed (ReportBatchItemFailures). As in
 * Lambda, an invocation that throws or times out fails the whole batch, and
 * so does a report naming a message not in the batch: nothing is deleted, and
 * the messages come back when their visibility timeout lapses.
 */
export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const { concurrency = 4, onError = () => undefined } = options;
  const api = apiOf(options.client);
  let stopping = false;

  const poll = async (): Promise<void> => {
    while (!stopping) {
      try {
        // Short, so that stop() is prompt (a receive is never cut off: what it took would come back minutes later);
        // Lambda's own pollers wait up to 20 s.
        const messages = await receiveBatch(api, options, 1);
        if (messages.length > 0) await invokeWithBatch(api, options, messages);
      } catch (error) {
        if (stopping) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poll());
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(pollers);
    },
  };
}

/**
 * Runs the handler over whatever the queue holds that is visible now, batch
 * after batch, until a receive finds nothing: what waits out a retry delay
 * stays for a later call. The tests' deterministic stand-in for the poller.
 */
export async function drainQueue(options: SqsEventSourceOptions): Promise<number> {
  const api = apiOf(options.client);
  let invocations = 0;
  for (;;) {
    const messages = await receiveBatch(api, options, 0);
    if (messages.length === 0) return invocations;
    await invokeWithBatch(api, options, messages);
    invocations += 1;
  }
}

async function receiveBatch(api: PolledQueueApi, options: SqsEventSourceOptions, waitTimeSeconds: number): Promise<Message[]> {
  const { Messages } = await api.receiveMessage({
    QueueUrl: options.queueUrl,
    MaxNumberOfMessages: options.batchSize ?? 10,
    WaitTimeSeconds: waitTimeSeconds,
    MessageSystemAttributeNames: ['All'],
    MessageAttributeNames: ['All'],
  });
  return Messages ?? [];
}

/** The poller's two calls of `client`, made once per event source. */
function apiOf(client: SQSClient | PolledQueueApi): PolledQueueApi {
  if (!('send' in client)) return client;
  return {
    receiveMessage: (input) => client.send(new ReceiveMessageCommand(input)),
    deleteMessageBatch: (input) => client.send(new DeleteMessageBatchCommand(input)),
  };
}

/** One invocation, and what Lambda's event source does with its answer. */
async function invokeWithBatch(api: PolledQueueApi, options: SqsEventSourceOptions, messages: Message[]): Promise<void> {
  const { queueUrl, queueArn, handler, timeoutMs, onError = () => undefined } = options;
  const records = messages.map((message) => toRecord(message, queueArn));
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let response: SQSBatchResponse | void;
  try {
    response = await Promise.race([
      apartFromOthers(() => handler({ Records: records }, lambdaContext('delivery', deadline))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the invocation timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    onError(error);
    return;
  } finally {
    clearTimeout(timer);
  }
  const ids = new Set(records.map((record) => record.messageId));
  const failures = response?.batchItemFailures ?? [];
  if (failures.some((failure) => !ids.has(failure.itemIdentifier))) {
    onError(new Error('the handler reported a failure for a message not in the batch: the whole batch fails'));
    return;
  }
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  const done = records.filter((record) => !failed.has(record.messageId));
  if (done.length === 0) return;
  const result = await api.deleteMessageBatch({ QueueUrl: queueUrl, Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })) });
  if (result.Failed?.length) onError(new Error(`could not delete ${result.Failed.length} processed messages: ${result.Failed.map((entry) => entry.Code).join(', ')}`));
}

/** A received message as Lambda's SQS event source hands it to the function. */
export function toRecord(message: Message, queueArn: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: (message.Attributes ?? {}) as unknown as SQSRecordAttributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}


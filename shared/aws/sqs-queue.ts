import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { boundedAttempts, localEndpoint } from './attempts';
import { createHash } from 'node:crypto';
import { conversationOf, encodeJob, goesToBot, type DeliveryJob } from '../domain/delivery/jobs';
import type { JobQueue } from '../domain/ports';
import { callDownstream } from '../platform/errors';
import { CORRELATION_ATTRIBUTE } from '../platform/logger';

/** The domain's job queue; the same job (by key) twice within SQS's 5 minutes is kept once. */
export type DeliveryQueue = JobQueue;

/** What the delivery function does with messages besides working on them: the SQS side of retries and giving up. */
export interface Redelivery {
  /** Makes failed messages visible again after their delays (in seconds, SQS's unit). */
  retryLater(messages: readonly { readonly receiptHandle: string; readonly delaySeconds: number }[]): Promise<void>;
  /**
   * Keeps a message the bridge gave up on in the dead-letter queue, as it was
   * (so that it can be redriven), with the reason, when it was given up and
   * when it was first queued beside it (DEAD_LETTER_ATTRIBUTES).
   */
  keepDead(message: DeadLetter, reason: string): Promise<void>;
}

export interface DeadLetter {
  readonly body: string;
  readonly groupId: string;
  /** The given-up message's own id: unique, so that a message given up again after a redrive is not taken for a duplicate. */
  readonly deduplicationId: string;
  /** Epoch ms; kept through redrives, so that a redriven delivery still looks for what its first attempts posted. */
  readonly firstQueuedAt: number;
  readonly correlationId?: string | undefined;
}

/** The message attributes a dead letter carries, which a redrive keeps. */
export const DEAD_LETTER_ATTRIBUTES = { reason: 'failureReason', gaveUpAt: 'gaveUpAt', firstQueuedAt: 'firstQueuedAt' } as const;

export interface SqsOptions {
  /** A local SQS-API server; the region's endpoint when absent. */
  readonly endpoint?: string | undefined;
  readonly requestTimeoutMs?: number;
}

export function createSqsClient(options: SqsOptions = {}): SQSClient {
  return new SQSClient({
    requestHandler: boundedAttempts(options.requestTimeoutMs),
    ...localEndpoint(options.endpoint),
  });
}

const sqs = <T>(operation: string, call: () => Promise<T>): Promise<T> => callDownstream('sqs', operation, call);

/** The correlation id a message carries (CORRELATION_ATTRIBUTE), so that the delivery's log lines have the request's. */
export function correlationAttribute(correlationId: (() => string | undefined) | undefined) {
  const id = correlationId?.();
  return id ? { MessageAttributes: { [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: id } } } : {};
}

export function sqsDeliveryQueue(client: SQSClient, queueUrl: string, correlationId?: () => string | undefined): DeliveryQueue {
  return {
    enqueue: async (job) => {
      await sqs('send delivery', () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: encodeJob(job),
            MessageGroupId: messageGroupOf(job),
            MessageDeduplicationId: queueSafeId(job.key),
            ...correlationAttribute(correlationId),
          }),
        ),
      );
    },
  };
}

export function sqsRedelivery(client: SQSClient, queueUrl: string, deadLetterQueueUrl: string): Redelivery {
  return {
    retryLater: async (messages) => {
      // ChangeMessageVisibilityBatch takes at most 10 entries, as many as a FIFO batch holds.
      for (let start = 0; start < messages.length; start += 10) {
        const entries = messages.slice(start, start + 10).map((message, index) => ({
          Id: String(start + index),
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: Math.min(Math.max(Math.ceil(message.delaySeconds), 0), 43_200),
        }));
        const result = await sqs('delay retries', () => client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
        if (result.Failed?.length) throw new Error(`could not delay ${result.Failed.length} retries: ${result.Failed.map((entry) => entry.Code).join(', ')}`);
      }
    },
    keepDead: async (message, reason) => {
      await sqs('keep in the dead-letter queue', () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: deadLetterQueueUrl,
            MessageBody: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId,
            MessageAttributes: {
              [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: reason.slice(0, 1_000) },
              [DEAD_LETTER_ATTRIBUTES.gaveUpAt]: { DataType: 'Number', StringValue: String(Date.now()) },
              [DEAD_LETTER_ATTRIBUTES.firstQueuedAt]: { DataType: 'Number', StringValue: String(message.firstQueuedAt) },
              ...correlationAttribute(() => message.correlationId).MessageAttributes,
            },
          }),
        ),
      );
    },
  };
}

/** The FIFO message group: one per conversation and direction (a job for a thread with no conversation, a private notice or a note's mark: that thread; an agent's queue view: that agent). */
export function messageGroupOf(job: DeliveryJob): string {
  const direction = goesToBot(job) ? 'to-bot' : 'to-desk';
  const conversationId = conversationOf(job);
  if (job.kind === 'home-view') return queueSafeId([direction, 'home', job.userId]);
  const thread = job as Extract<DeliveryJob, { channelId: string; threadTs: string }>;
  const scope = conversationId === undefined ? ['thread', thread.channelId, thread.threadTs] : [conversationId];
  return queueSafeId([direction, ...scope]);
}

/**
 * A group or deduplication id from parts: SQS takes at most 128 of its allowed
 * characters, so the parts' JSON (unambiguous, as a joined string would not
 * be) where it fits, else its SHA-256.
 */
export function queueSafeId(parts: readonly string[]): string {
  const json = JSON.stringify(parts);
  return /^[\x21-\x7e]{1,128}$/.test(json) ? json : createHash('sha256').update(json).digest('hex');
}

import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeJob, MalformedJobError, type DeliveryJob } from '../domain/delivery/jobs';
import { DEAD_LETTER_ATTRIBUTES, type Redelivery } from './sqs-queue';
import { deliver, RetryDelivery, type DeliveryAttempt, type DeliveryDependencies, type DeliveryResult } from '../domain/delivery/attempt';
import { BridgeMetric, type BridgeMetricName } from '../platform/metric-names';
import { countMetric } from '../platform/metrics';
import { CORRELATION_ATTRIBUTE } from '../platform/logger';

/**
 * The time one job may take at most: a Botpress POST (10 s), a name lookup,
 * the ledger's writes, a notice to Slack. A job is not started with less of
 * the invocation left: it goes back to the queue at once instead of being cut
 * off by the Lambda timeout, which would leave it invisible for the queue's
 * whole visibility timeout.
 */
export const JOB_BUDGET_MS = 25_000;

export interface BatchDependencies {
  readonly delivery: DeliveryDependencies;
  readonly redelivery: Redelivery;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Gives the log lines that follow the record's correlation id. */
  readonly correlate?: (record: SQSRecord) => void;
}

const DELIVERED_METRIC: Partial<Record<DeliveryJob['kind'], BridgeMetricName>> = {
  'agent-reply': BridgeMetric.AgentRepliesDelivered,
  'customer-message': BridgeMetric.CustomerMessagesPosted,
  'open-thread': BridgeMetric.HandoffsOpened,
};

/**
 * One invocation of the delivery function: a batch from the FIFO queue, up to
 * ten messages from one or more conversations. Powertools' FIFO processor
 * works through them in order and, at a message's failure, fails the rest of
 * its group (skipGroupOnError) so that order holds, while other groups go on.
 * Each failed message then becomes visible again after its own delay (the
 * backoff, or Slack's or Botpress's Retry-After) rather than after the queue's
 * visibility timeout; what the bridge gives up on goes to the dead-letter queue.
 */
export async function processDeliveryBatch(event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>, deps: BatchDependencies): Promise<SQSBatchResponse> {
  const delays = new Map<string, number>();
  const groupDelays = new Map<string | undefined, number>();

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const group = record.attributes.MessageGroupId;
    deps.correlate?.(record);
    try {
      if (context.getRemainingTimeInMillis() < JOB_BUDGET_MS) throw new RetryDelivery(deps.delivery.policy.minDelayMs, 'too little of the invocation left to start another job');
      await handleJob(record, deps);
    } catch (error) {
      const delayMs = error instanceof RetryDelivery ? error.delayMs : deps.delivery.policy.firstDelayMs;
      delays.set(record.messageId, delayMs);
      groupDelays.set(group, delayMs);
      countMetric(BridgeMetric.DeliveryRetries);
      if (error instanceof RetryDelivery && error.noticed) countMetric(BridgeMetric.LateDeliveries);
      throw error;
    }
  };

  // A processor of its own: it keeps the batch's records and outcomes in fields, so one shared by invocations that
  // overlap (the local event source's pollers) would report one invocation's failures in another's answer.
  const processor = new SqsFifoPartialProcessorAsync();
  const response: SQSBatchResponse = await processPartialResponse(event, handleRecord, processor, { skipGroupOnError: true, throwOnFullBatchFailure: false });
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const retries = event.Records.filter((record) => failed.has(record.messageId)).map((record) => ({
    receiptHandle: record.receiptHandle,
    // A message behind a failed one in its group waits as long as that one does.
    delaySeconds: (delays.get(record.messageId) ?? groupDelays.get(record.attributes.MessageGroupId) ?? deps.delivery.policy.firstDelayMs) / 1000,
  }));
  if (retries.length > 0) {
    await deps.redelivery.retryLater(retries).catch((error: unknown) => {
      // They come back after the queue's visibility timeout instead; late, but not lost.
      deps.logger.error('could not schedule retries', { count: retries.length, error: error as Error });
    });
  }
  return response;
}

async function handleJob(record: SQSRecord, deps: BatchDependencies): Promise<void> {
  let job: DeliveryJob;
  try {
    job = decodeJob(record.body);
  } catch (error) {
    if (!(error instanceof MalformedJobError)) throw error;
    deps.logger.error('a queue message is not a delivery job', { messageId: record.messageId, problem: error.message });
    return keepDead(record, `not a delivery job: ${error.message}`, deps);
  }
  const result: DeliveryResult = await deliver(job, attemptOf(record), deps.delivery);
  switch (result.outcome) {
    case 'delivered': {
      const metric = DELIVERED_METRIC[job.kind];
      if (metric) countMetric(metric);
      return;
    }
    case 'duplicate':
      deps.logger.info('delivery already done', { job: job.kind, messageId: record.messageId });
      return;
    case 'dropped':
      deps.logger.info('delivery has nothing left to do', { job: job.kind, messageId: record.messageId, reason: result.reason });
      return;
    case 'gave-up':
      if (result.refusedBy === 'slack') countMetric(BridgeMetric.SlackRefusals);
      return keepDead(record, result.reason, deps);
  }
}

async function keepDead(record: SQSRecord, reason: string, deps: BatchDependencies): Promise<void> {
  countMetric(BridgeMetric.DeliveryFailures);
  await deps.redelivery.keepDead(
    {
      body: record.body,
      groupId: record.attributes.MessageGroupId ?? 'ungrouped',
      deduplicationId: record.messageId,
      firstQueuedAt: attemptOf(record).queuedAt,
      correlationId: record.messageAttributes[CORRELATION_ATTRIBUTE]?.stringValue,
    },
    reason,
  );
}

const numberAttribute = (record: SQSRecord, name: string): number | undefined => {
  const value = Number(record.messageAttributes[name]?.stringValue);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

/**
 * The attempt a record is. A message replayed from the dead letters keeps when
 * it was first queued, and its give-up time starts afresh when it was
 * replayed: when SQS stamps it as sent (a moved message is new to SQS), or,
 * should that stamp be the old one, when it was first received after the move.
 */
function attemptOf(record: SQSRecord): DeliveryAttempt {
  const sentAt = Number(record.attributes.SentTimestamp);
  const attempt = { id: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount), queuedAt: sentAt };
  const gaveUpAt = numberAttribute(record, DEAD_LETTER_ATTRIBUTES.gaveUpAt);
  if (gaveUpAt === undefined) return attempt;
  const replayedAt = sentAt > gaveUpAt ? sentAt : Math.max(Number(record.attributes.ApproximateFirstReceiveTimestamp) || 0, gaveUpAt);
  return { ...attempt, queuedAt: numberAttribute(record, DEAD_LETTER_ATTRIBUTES.firstQueuedAt) ?? sentAt, giveUpFrom: replayedAt };
}

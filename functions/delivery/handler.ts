import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { JOB_BUDGET_MS, processDeliveryBatch } from '../../shared/aws/delivery-batch';
import { processReminderBatch } from '../../shared/aws/reminder-queue';
import { sqsRedelivery } from '../../shared/aws/sqs-queue';
import { deliveryRetries } from '../../shared/aws/delivery-retries';
import type { DeliveryDependencies } from '../../shared/domain/delivery/attempt';
import { readSettings } from '../../shared/platform/config';
import { correlateRecord, logContext, logger } from '../../shared/platform/logger';
import { startTracing } from '../../shared/platform/tracing';
import { publishMetrics } from '../../shared/platform/metrics';
import { MIDDY_OPTIONS } from '../../shared/platform/middy-options';
import { wireBot } from '../wiring/bot';
import { wire } from '../wiring/core';
import { wireDesk } from '../wiring/desk';
import { deliveryFiles } from '../wiring/files';

/** Outside any caller's time limit, a Slack call may take longer than where Slack or Botpress waits for the answer. */
const SLACK_TIMEOUT_MS = 3_000;

// Module scope: read once per container. A missing setting fails the init, naming it.
const settings = readSettings(process.env, ['supportChannelId', 'deadLetterQueueUrl', 'fileBucket', 'publicUrl']);
const tracing = await startTracing(settings);
const wiring = wire(settings, {
  instrument: tracing?.instrument,
  // The bridge API token signs the links to agents' files.
  secrets: ['slackBotToken', 'botpressWebhookUrl', 'botpressWebhookSecret', 'botpressSigningSecret', 'bridgeApiToken'],
  // Longer than any one job may run, so that only a dead attempt's claim is taken over.
  ledgerLeaseMs: JOB_BUDGET_MS * 2,
});
const delivery: DeliveryDependencies = {
  ...wiring,
  desk: wireDesk(wiring, { slackTimeoutMs: SLACK_TIMEOUT_MS }),
  bot: wireBot(wiring),
  logger,
  policy: deliveryRetries(settings.deliveryGiveUpMs).policy,
  supportChannelId: settings.supportChannelId,
  queueChannels: settings.queueChannels,
  files: deliveryFiles(settings, wiring.secrets),
};
const dependencies = {
  delivery,
  redelivery: sqsRedelivery(wiring.sqs, settings.deliveryQueueUrl, settings.deadLetterQueueUrl),
  logger,
  correlate: correlateRecord,
};

const reminders = { queue: wiring.queue, timer: wiring.reminders.timer, logger, correlate: correlateRecord };

/** A batch from the reminder queue (standard) rather than the delivery queue (FIFO): its records' source says which. */
const fromReminderQueue = (event: SQSEvent) => event.Records[0]?.eventSourceARN.endsWith('.fifo') === false;

/**
 * The SQS event sources' function: works through a batch of deliveries and
 * reports the ones to retry; or hands due reminders on to the deliveries.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>(MIDDY_OPTIONS)
  .use(tracing ? [tracing.middleware] : [])
  .use(logContext())
  .use(publishMetrics())
  .handler((event, context) => (fromReminderQueue(event) ? processReminderBatch(event, reminders) : processDeliveryBatch(event, context, dependencies)));

import { SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readSettings } from '../../shared/config';
import { processDeliveryBatch, JOB_BUDGET_MS } from '../../shared/delivery-batch';
import { sqsMailroom } from '../../shared/delivery-queue';
import { DEFAULT_DELIVERY_POLICY, SlackPacer, type DeliveryDependencies } from '../../shared/deliveries';
import { logger } from '../../shared/logger';
import { publishMetrics } from '../../shared/metrics';
import { MIDDY_OPTIONS } from '../../shared/middy-options';
import { createRuntime, deliveryFiles } from '../../shared/runtime';

/** Outside any caller's time limit, a Slack call may take longer than where Slack or Botpress waits for the answer. */
const SLACK_TIMEOUT_MS = 3_000;

// Module scope: read once per container. A missing setting fails the init, naming it.
const settings = readSettings(process.env, ['supportChannelId', 'deadLetterQueueUrl', 'fileBucket', 'publicUrl']);
const runtime = createRuntime(settings, {
  // The bridge API token signs the links to agents' files.
  secrets: ['slackBotToken', 'botpressWebhookUrl', 'botpressWebhookSecret', 'botpressSigningSecret', 'bridgeApiToken'],
  slackTimeoutMs: SLACK_TIMEOUT_MS,
  // Longer than any one job may run, so that only a dead attempt's claim is taken over.
  ledgerLeaseMs: JOB_BUDGET_MS * 2,
});
const delivery: DeliveryDependencies = {
  ...runtime,
  pacer: new SlackPacer(),
  logger,
  policy: { ...DEFAULT_DELIVERY_POLICY, giveUpMs: settings.deliveryGiveUpMs },
  supportChannelId: settings.supportChannelId,
  files: deliveryFiles(settings, runtime.secrets),
};
const dependencies = {
  delivery,
  mailroom: sqsMailroom(runtime.sqs, settings.deliveryQueueUrl, settings.deadLetterQueueUrl),
  processor: new SqsFifoPartialProcessorAsync(),
  logger,
};

/** The SQS event source's function: works through a batch of deliveries and reports the ones to retry. */
export const handler = middy<SQSEvent, SQSBatchResponse>(MIDDY_OPTIONS)
  .use(publishMetrics())
  .handler((event, context) => processDeliveryBatch(event, context, dependencies));

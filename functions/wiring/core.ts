import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeliveryLedger } from '../../shared/aws/delivery-ledger';
import { dynamoSharedPace } from '../../shared/aws/shared-pace';
import { createDocumentClient } from '../../shared/aws/dynamo';
import { ThreadStore } from '../../shared/aws/handoff-store';
import { secretsManagerReader } from '../../shared/aws/secrets';
import { sqsReminderTimer } from '../../shared/aws/reminder-queue';
import { cloudWatchServiceLevels } from '../../shared/aws/service-levels';
import { createSqsClient, sqsDeliveryQueue } from '../../shared/aws/sqs-queue';
import type { JobQueue, ServiceLevels } from '../../shared/domain/ports';
import type { ReminderSettings } from '../../shared/domain/reminders';
import { createSecretsProvider, type SecretName, type SecretsProvider, type Settings } from '../../shared/platform/config';
import { ConfigError } from '../../shared/platform/errors';
import type { SharedPace } from '../../shared/platform/pace';
import { SETTINGS } from '../../shared/platform/settings';
import { correlationId, logger } from '../../shared/platform/logger';

/*
 * One container's adapters, built once at init and shared across its
 * invocations. Each function imports only the parts it uses (a bundle holds
 * what it imports, and V8 parses it at every cold start): the stores, the
 * queue and the secrets here; the desk (desk.ts), the bot (bot.ts) and the
 * files (files.ts) beside it.
 */

export interface WiringOptions {
  /** The secrets this function cannot work without. */
  readonly secrets: readonly SecretName[];
  /** Longer than any one delivery attempt takes, so that only a dead attempt's claim is ever taken over. */
  readonly ledgerLeaseMs?: number;
  /** Traces an AWS client's calls (X-Ray, when tracing is on: shared/platform/tracing.ts). */
  readonly instrument?: (<Client>(client: Client) => Client) | undefined;
}

/** The clients and cached config one function container shares across invocations. */
export interface Wiring {
  readonly settings: Settings;
  readonly secrets: SecretsProvider;
  readonly store: ThreadStore;
  readonly ledger: DeliveryLedger;
  readonly sqs: SQSClient;
  readonly queue: JobQueue;
  readonly serviceLevels: ServiceLevels;
  readonly reminders: ReminderSettings;
  /** Slack's pace per channel, shared by every container (shared/slack/desk.ts, SlackPacer). */
  readonly pace: SharedPace;
}

export function wire(settings: Settings, options: WiringOptions): Wiring {
  const instrument = options.instrument ?? (<Client>(plain: Client) => plain);
  const client = instrument(createDocumentClient({ endpoint: settings.dynamodbEndpoint }));
  const sqs = instrument(createSqsClient({ endpoint: settings.sqsEndpoint }));
  return {
    settings,
    secrets: createSecretsProvider({
      settings,
      required: options.secrets,
      fetchSecretString: secretsManagerReader({ instrument }),
      onStale: (error) => logger.warn('could not re-read the secret; using the values read before', { error }),
    }),
    store: new ThreadStore({ client, tableName: settings.tableName, ttlSeconds: settings.mappingTtlSeconds }),
    ledger: new DeliveryLedger({ client, tableName: settings.tableName, ...(options.ledgerLeaseMs ? { leaseMs: options.ledgerLeaseMs } : {}) }),
    sqs,
    queue: sqsDeliveryQueue(sqs, settings.deliveryQueueUrl, correlationId),
    serviceLevels: cloudWatchServiceLevels(logger),
    reminders: reminderSettings(settings, sqs),
    pace: dynamoSharedPace(client, settings.tableName),
  };
}

/** Reminders on a delay queue; with reminders off, a timer that is never asked. */
function reminderSettings(settings: Settings, sqs: SQSClient): ReminderSettings {
  if (settings.reminderIntervalMs <= 0) return { intervalMs: 0, timer: { remindAt: () => Promise.resolve() } };
  if (!settings.reminderQueueUrl) throw new ConfigError(`missing required setting(s): ${SETTINGS.reminderQueueUrl.env} (reminders are on)`, [SETTINGS.reminderQueueUrl.env]);
  return { intervalMs: settings.reminderIntervalMs, timer: sqsReminderTimer(sqs, settings.reminderQueueUrl, { correlationId }) };
}

import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeliveryLedger } from '../../shared/aws/delivery-ledger';
import { createDocumentClient } from '../../shared/aws/dynamo';
import { ThreadStore } from '../../shared/aws/handoff-store';
import { secretsManagerReader } from '../../shared/aws/secrets';
import { cloudWatchServiceLevels } from '../../shared/aws/service-levels';
import { createSqsClient, sqsDeliveryQueue } from '../../shared/aws/sqs-queue';
import type { JobQueue, ServiceLevels } from '../../shared/domain/ports';
import { createSecretsProvider, type SecretName, type SecretsProvider, type Settings } from '../../shared/platform/config';
import { logger } from '../../shared/platform/logger';

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
}

export function wire(settings: Settings, options: WiringOptions): Wiring {
  const client = createDocumentClient({ endpoint: settings.dynamodbEndpoint });
  const sqs = createSqsClient({ endpoint: settings.sqsEndpoint });
  return {
    settings,
    secrets: createSecretsProvider({
      settings,
      required: options.secrets,
      fetchSecretString: secretsManagerReader(),
      onStale: (error) => logger.warn('could not re-read the secret; using the values read before', { error }),
    }),
    store: new ThreadStore({ client, tableName: settings.tableName, ttlSeconds: settings.mappingTtlSeconds }),
    ledger: new DeliveryLedger({ client, tableName: settings.tableName, ...(options.ledgerLeaseMs ? { leaseMs: options.ledgerLeaseMs } : {}) }),
    sqs,
    queue: sqsDeliveryQueue(sqs, settings.deliveryQueueUrl),
    serviceLevels: cloudWatchServiceLevels(logger),
  };
}

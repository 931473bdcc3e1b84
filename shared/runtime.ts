import type { SQSClient } from '@aws-sdk/client-sqs';
import type { WebClient } from '@slack/web-api';
import { postToBotpress, type BotpressSender } from './botpress-client';
import { createSecretsProvider, secretFrom, type SecretName, type SecretsProvider, type Settings, type SettingsWith } from './config';
import type { DeliveryFiles } from './deliveries';
import { s3FileStore } from './files/file-store';
import { fileLinkKey } from './files/links';
import { DeliveryLedger } from './delivery-ledger';
import { createSqsClient, sqsDeliveryQueue, type DeliveryQueue } from './delivery-queue';
import { createDocumentClient } from './dynamo';
import { logger } from './logger';
import { createSlackClient, SLACK_TIMEOUT_MS, UserDirectory } from './slack/client';
import { ThreadStore } from './thread-store';

/**
 * How long one POST to Botpress may take. Only the delivery function sends to
 * Botpress, outside any caller's time limit, so a webhook that is slow but
 * accepts (5 s) gets the event once rather than a timeout and a second copy.
 */
export const BOTPRESS_TIMEOUT_MS = 10_000;

/** How long a delivery waits for the agent's display name when it is not cached: a name is a nicety and comes next time. */
export const NAME_WAIT_MS = 1_000;

export interface RuntimeOptions {
  /** The secrets this function cannot work without. */
  readonly secrets: readonly SecretName[];
  /** Per Slack call; SLACK_TIMEOUT_MS where a caller waits, longer in the delivery function. */
  readonly slackTimeoutMs?: number;
  /** Longer than any one delivery attempt takes, so that only a dead attempt's claim is ever taken over. */
  readonly ledgerLeaseMs?: number;
}

/** The clients and cached config one function container shares across invocations. */
export interface Runtime {
  readonly settings: Settings;
  readonly secrets: SecretsProvider;
  readonly store: ThreadStore;
  readonly ledger: DeliveryLedger;
  readonly users: UserDirectory;
  readonly sqs: SQSClient;
  readonly queue: DeliveryQueue;
  /** The Slack client for the current bot token, created on first use. */
  readonly slack: () => Promise<WebClient>;
  readonly sendToBotpress: BotpressSender;
}

export function createRuntime(settings: Settings, options: RuntimeOptions): Runtime {
  const client = createDocumentClient({ endpoint: settings.dynamodbEndpoint });
  const sqs = createSqsClient({ endpoint: settings.sqsEndpoint });
  const secrets = createSecretsProvider({
    settings,
    required: options.secrets,
    onStale: (error) => logger.warn('could not re-read the secret; using the values read before', { error }),
  });
  let slackClient: { token: string; client: Promise<WebClient> } | undefined;

  return {
    settings,
    secrets,
    store: new ThreadStore({ client, tableName: settings.tableName, ttlSeconds: settings.mappingTtlSeconds }),
    ledger: new DeliveryLedger({ client, tableName: settings.tableName, ...(options.ledgerLeaseMs ? { leaseMs: options.ledgerLeaseMs } : {}) }),
    users: new UserDirectory({ waitMs: NAME_WAIT_MS }),
    sqs,
    queue: sqsDeliveryQueue(sqs, settings.deliveryQueueUrl),
    slack: async () => {
      const { slackBotToken } = await secrets();
      // A rotated token gets a fresh client; otherwise the one client (and its keep-alive connections) is reused.
      if (slackClient?.token !== slackBotToken) {
        slackClient = { token: slackBotToken, client: createSlackClient({ token: slackBotToken, slackApiUrl: settings.slackApiUrl, timeoutMs: options.slackTimeoutMs ?? SLACK_TIMEOUT_MS }) };
      }
      return slackClient.client;
    },
    sendToBotpress: async (event) => {
      const { botpressWebhookUrl, botpressWebhookSecret, botpressSigningSecret } = await secrets();
      await postToBotpress({ url: botpressWebhookUrl, secret: botpressWebhookSecret, signingSecret: botpressSigningSecret, timeoutMs: BOTPRESS_TIMEOUT_MS }, event);
    },
  };
}

/**
 * What the delivery function needs for files: the bucket, and the link key,
 * derived from the bridge API token (so the delivery function reads that
 * secret too). Plain HTTP is fetched from the Botpress webhook's origin only,
 * which is HTTPS but for a local stand-in.
 */
export function deliveryFiles(settings: SettingsWith<'fileBucket' | 'publicUrl'>, secrets: SecretsProvider): DeliveryFiles {
  return {
    files: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
    linkKey: async () => fileLinkKey(await secretFrom(secrets, 'bridgeApiToken')),
    publicUrl: settings.publicUrl,
    linkSeconds: settings.fileLinkSeconds,
    slackApiUrl: settings.slackApiUrl,
    plainHttpOrigin: async () => new URL(await secretFrom(secrets, 'botpressWebhookUrl')).origin,
  };
}

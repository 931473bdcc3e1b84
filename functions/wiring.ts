import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeliveryLedger } from '../shared/aws/delivery-ledger';
import { createDocumentClient } from '../shared/aws/dynamo';
import { ThreadStore } from '../shared/aws/handoff-store';
import { s3FileStore } from '../shared/aws/s3-files';
import { secretsManagerReader } from '../shared/aws/secrets';
import { createSqsClient, sqsDeliveryQueue } from '../shared/aws/sqs-queue';
import { botpressChannel } from '../shared/botpress/webhook';
import type { DeliveryFiles } from '../shared/domain/files/agent-files';
import { fileLinkKey } from '../shared/domain/files/links';
import type { BotChannel, JobQueue, SupportDesk } from '../shared/domain/ports';
import { createSecretsProvider, secretFrom, type SecretName, type SecretsProvider, type Settings, type SettingsWith } from '../shared/platform/config';
import { logger } from '../shared/platform/logger';
import { createSlackClient, SLACK_TIMEOUT_MS, type SlackClient } from '../shared/slack/client';
import { SlackPacer, slackDesk } from '../shared/slack/desk';
import { UserDirectory } from '../shared/slack/users';

/*
 * One container's adapters, built once at init and shared across its
 * invocations: the AWS clients, the secrets, the support desk on Slack and
 * the bot channel to Botpress. The handlers hand them to the domain.
 */

/**
 * How long one POST to Botpress may take. Only the delivery function sends to
 * Botpress, outside any caller's time limit, so a webhook that is slow but
 * accepts (5 s) gets the event once rather than a timeout and a second copy.
 */
export const BOTPRESS_TIMEOUT_MS = 10_000;

/** How long a delivery waits for the agent's display name when it is not cached: a name is a nicety and comes next time. */
export const NAME_WAIT_MS = 1_000;

export interface WiringOptions {
  /** The secrets this function cannot work without. */
  readonly secrets: readonly SecretName[];
  /** Per Slack call; SLACK_TIMEOUT_MS where a caller waits, longer in the delivery function. */
  readonly slackTimeoutMs?: number;
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
  readonly desk: SupportDesk;
  readonly bot: BotChannel;
}

export function wire(settings: Settings, options: WiringOptions): Wiring {
  const client = createDocumentClient({ endpoint: settings.dynamodbEndpoint });
  const sqs = createSqsClient({ endpoint: settings.sqsEndpoint });
  const secrets = createSecretsProvider({
    settings,
    required: options.secrets,
    fetchSecretString: secretsManagerReader(),
    onStale: (error) => logger.warn('could not re-read the secret; using the values read before', { error }),
  });
  let slackClient: { token: string; client: Promise<SlackClient> } | undefined;
  const slack = async (): Promise<SlackClient> => {
    const { slackBotToken } = await secrets();
    // A rotated token gets a fresh client; otherwise the one client (and its keep-alive connections) is reused.
    if (slackClient?.token !== slackBotToken) {
      slackClient = { token: slackBotToken, client: createSlackClient({ token: slackBotToken, slackApiUrl: settings.slackApiUrl, timeoutMs: options.slackTimeoutMs ?? SLACK_TIMEOUT_MS }) };
    }
    return slackClient.client;
  };

  return {
    settings,
    secrets,
    store: new ThreadStore({ client, tableName: settings.tableName, ttlSeconds: settings.mappingTtlSeconds }),
    ledger: new DeliveryLedger({ client, tableName: settings.tableName, ...(options.ledgerLeaseMs ? { leaseMs: options.ledgerLeaseMs } : {}) }),
    sqs,
    queue: sqsDeliveryQueue(sqs, settings.deliveryQueueUrl),
    desk: slackDesk({ slack, users: new UserDirectory({ waitMs: NAME_WAIT_MS }), pacer: new SlackPacer(), slackApiUrl: settings.slackApiUrl, logger }),
    bot: botpressChannel(async () => {
      const { botpressWebhookUrl, botpressWebhookSecret, botpressSigningSecret } = await secrets();
      return { url: botpressWebhookUrl, secret: botpressWebhookSecret, signingSecret: botpressSigningSecret, timeoutMs: BOTPRESS_TIMEOUT_MS };
    }),
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
    store: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
    linkKey: async () => fileLinkKey(await secretFrom(secrets, 'bridgeApiToken')),
    publicUrl: settings.publicUrl,
    linkSeconds: settings.fileLinkSeconds,
    plainHttpOrigin: async () => new URL(await secretFrom(secrets, 'botpressWebhookUrl')).origin,
  };
}

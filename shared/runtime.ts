import type { WebClient } from '@slack/web-api';
import { postToBotpress, type BotpressSender } from './botpress-client';
import { createSecretsProvider, type SecretName, type SecretsProvider, type Settings } from './config';
import { DeliveryLedger } from './delivery-ledger';
import { createDocumentClient } from './dynamo';
import { logger } from './logger';
import { createSlackClient, UserDirectory } from './slack/client';
import { ThreadStore } from './thread-store';

/**
 * How long the Slack function waits for Botpress. Slack abandons a request
 * after 3 s (cold start included) and retries it; 1.5 s leaves room for init,
 * the DynamoDB calls and the answer.
 */
export const BOTPRESS_TIMEOUT_MS = 1_500;

/**
 * How long an agent's reply or button press waits for the agent's display
 * name when it is not cached (users.info runs beside the DynamoDB calls). The
 * Slack client's own timeout, 1.5 s, on top of Botpress's would leave nothing
 * of Slack's 3 s for the cold start; a name is a nicety and comes next time.
 */
export const NAME_WAIT_MS = 500;

/** The clients and cached config one function container shares across invocations. */
export interface Runtime {
  readonly settings: Settings;
  readonly secrets: SecretsProvider;
  readonly store: ThreadStore;
  readonly ledger: DeliveryLedger;
  readonly users: UserDirectory;
  /** The Slack client for the current bot token, created on first use. */
  readonly slack: () => Promise<WebClient>;
  readonly sendToBotpress: BotpressSender;
}

export function createRuntime(settings: Settings, requiredSecrets: readonly SecretName[]): Runtime {
  const client = createDocumentClient({ endpoint: settings.dynamodbEndpoint });
  const secrets = createSecretsProvider({
    settings,
    required: requiredSecrets,
    onStale: (error) => logger.warn('could not re-read the secret; using the values read before', { error }),
  });
  let slackClient: { token: string; client: Promise<WebClient> } | undefined;

  return {
    settings,
    secrets,
    store: new ThreadStore({ client, tableName: settings.tableName, ttlSeconds: settings.mappingTtlSeconds }),
    ledger: new DeliveryLedger({ client, tableName: settings.tableName }),
    users: new UserDirectory({ waitMs: NAME_WAIT_MS }),
    slack: async () => {
      const { slackBotToken } = await secrets();
      // A rotated token gets a fresh client; otherwise the one client (and its keep-alive connections) is reused.
      if (slackClient?.token !== slackBotToken) {
        slackClient = { token: slackBotToken, client: createSlackClient({ token: slackBotToken, slackApiUrl: settings.slackApiUrl }) };
      }
      return slackClient.client;
    },
    sendToBotpress: async (event) => {
      const { botpressWebhookUrl, botpressWebhookSecret } = await secrets();
      await postToBotpress({ url: botpressWebhookUrl, secret: botpressWebhookSecret, timeoutMs: BOTPRESS_TIMEOUT_MS }, event);
    },
  };
}

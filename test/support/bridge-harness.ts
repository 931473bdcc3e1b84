import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { vi } from 'vitest';
import type { HttpResponse } from '../../shared/http';
import { secretsEnvironment, settingsEnvironment } from '../../shared/settings';
import { ThreadStore } from '../../shared/thread-store';
import { startBotpressStandIn, type BotpressStandIn } from './botpress-stand-in';
import { startLocalDynamo, type LocalDynamo } from './dynalite';
import { SIGNING_SECRET } from './slack-requests';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';

export const BOT_TOKEN = 'xoxb-test-bot-token-do-not-log';
export const BOTPRESS_SECRET = 'bp-webhook-secret-do-not-log';
export const BRIDGE_TOKEN = 'bridge-api-token-do-not-log';
export const SUPPORT_CHANNEL_ID = 'C0SUPPORT1';

type Handler = (event: APIGatewayProxyEventV2, context: never) => Promise<HttpResponse>;

export interface BridgeHarness {
  readonly dynamo: LocalDynamo;
  readonly slack: SlackStandIn;
  readonly botpress: BotpressStandIn;
  readonly store: ThreadStore;
  /** Loads a function's real handler module, fresh, with the harness's environment. */
  loadHandler(path: string): Promise<(event: APIGatewayProxyEventV2) => Promise<HttpResponse>>;
  close(): Promise<void>;
}

/**
 * Everything a function needs, on loopback: a DynamoDB-API server with the
 * table, and stand-ins for the Slack Web API and the Botpress webhook. The
 * settings reach the handler through the environment, as in a deployment.
 */
export async function startBridgeHarness(): Promise<BridgeHarness> {
  const [dynamo, slack, botpress] = await Promise.all([startLocalDynamo(), startSlackStandIn(), startBotpressStandIn()]);
  const env = {
    ...settingsEnvironment({ tableName: dynamo.tableName, dynamodbEndpoint: dynamo.endpoint, slackApiUrl: slack.apiUrl, supportChannelId: SUPPORT_CHANNEL_ID }),
    ...secretsEnvironment({
      slackSigningSecret: SIGNING_SECRET,
      slackBotToken: BOT_TOKEN,
      botpressWebhookUrl: `${botpress.url}/webhook/abc`,
      botpressWebhookSecret: BOTPRESS_SECRET,
      bridgeApiToken: BRIDGE_TOKEN,
    }),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const store = new ThreadStore({ client: dynamo.documentClient, tableName: dynamo.tableName, ttlSeconds: 7 * 24 * 3600 });

  return {
    dynamo,
    slack,
    botpress,
    store,
    loadHandler: async (path) => {
      vi.resetModules();
      const module = (await import(path)) as { handler: Handler };
      return (event) => module.handler(event, {} as never);
    },
    close: async () => {
      vi.unstubAllEnvs();
      await Promise.all([dynamo.close(), slack.close(), botpress.close()]);
    },
  };
}

/** Opens a handoff directly in the store, as the Botpress-callbacks function would. */
export async function seedHandoff(
  store: ThreadStore,
  conversationId: string,
  threadTs: string,
  channelId = SUPPORT_CHANNEL_ID,
): Promise<void> {
  const reservation = await store.reserve(conversationId, { botpressUserId: `user-of-${conversationId}`, customerName: 'Jane Customer', summary: 'Customer wants a refund for order 1234.' }, 10_000);
  if (!reservation.reserved) throw new Error(`conversation ${conversationId} is already open`);
  await store.activate(conversationId, reservation.token, { channelId, threadTs });
}

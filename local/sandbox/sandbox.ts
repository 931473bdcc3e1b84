import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { readBody } from '../api-gateway-adapter';
import { startLocalBridge, type LocalBridge } from '../bridge';
import { secretsEnvironment, settingsEnvironment, SETTINGS } from '../../shared/platform/settings';
import type { LocalServerConfig } from '../config';
import shippedDefinition from '../../botpress/integration/integration.definition';
import { startBotpressApiStandIn } from '../botpress-api';
import { startBotpressRuntime } from '../botpress-runtime';
import { SandboxBot } from './bot';
import { SlackWorkspace } from './slack-workspace';

export const SANDBOX_CHANNEL_ID = 'C0SANDBOX01';

/**
 * botpress/integration is a CommonJS package, as the Botpress CLI builds it: loaded from ESM under tsx, its
 * default export arrives as the module's exports, the default inside.
 */
const commonJsDefault = <T>(value: T): T => (value as { default?: T }).default ?? value;
const definition = commonJsDefault(shippedDefinition);
/** The sandbox reminds of an unclaimed handoff after a minute: a visitor trying it sees one. */
const SANDBOX_REMINDER_MINUTES = '1';

const SANDBOX_TABLE = 'botpress-slack-hitl-sandbox';

/**
 * `npm start` with no Slack or Botpress settings: the local bridge, unchanged,
 * between a simulated Slack workspace and Botpress, and a page at / that shows
 * both sides. On the Botpress side, the recommended route: the shipped
 * integration (botpress/integration), run through the SDK as Botpress's
 * runtime runs it, with the HITL plugin and the webchat simulated
 * (./bot.ts). Signatures, tokens and storage are the real ones.
 */
export async function startSandbox(options: LocalServerConfig): Promise<LocalBridge> {
  const secret = () => randomBytes(24).toString('hex');
  const signingSecret = secret();
  const botToken = `xoxb-sandbox-${secret()}`;
  const webhookSecret = secret();
  const bridgeToken = secret();
  const botpressSigningSecret = secret();
  const installation = { botId: 'bot_sandbox', botUserId: 'user_sandbox_bot', integrationId: 'intver_sandbox', webhookId: 'wh_sandbox' };
  const bpToken = secret();

  const slack = new SlackWorkspace({ signingSecret, botToken, channelId: SANDBOX_CHANNEL_ID });
  const [slackApiUrl, api] = await Promise.all([
    slack.start(),
    startBotpressApiStandIn({ definition, token: bpToken, botId: installation.botId, integrationId: installation.integrationId }),
  ]);
  // Where the integration's SDK client finds Botpress's API, as Botpress's runtime tells an integration.
  Object.assign(process.env, { BP_API_URL: api.url, BP_TOKEN: bpToken });
  const integration = commonJsDefault((await import('../../botpress/integration/src/index')).default);
  // The bridge's URL is known once it listens; the configuration is read per request.
  const configuration: Record<string, unknown> = { bridgeToken, signingSecret: botpressSigningSecret };
  const runtime = await startBotpressRuntime(integration, { ...installation, configuration });
  const webhookUrl = runtime.webhookUrl;
  const bot = new SandboxBot(runtime, api);
  const page = readFile(new URL('./page.html', import.meta.url), 'utf8');

  const streams = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const snapshot = () => ({
    channel: { id: SANDBOX_CHANNEL_ID, name: 'support', agent: slack.agent, botUserId: slack.botUserId, messages: slack.messages },
    chat: bot.chat,
    conversationId: bot.conversationId,
    handoffActive: bot.handoffActive,
  });
  const broadcast = () => {
    // Coalesces bursts (a card and its transcript) into one update.
    pending ??= setTimeout(() => {
      pending = undefined;
      const data = `event: state\ndata: ${JSON.stringify(snapshot())}\n\n`;
      for (const stream of streams) stream.write(data);
    }, 15);
  };
  slack.onChange(broadcast);
  bot.onChange(broadcast);

  const json = (response: ServerResponse, status: number, body: unknown): true => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
    return true;
  };

  const bridge = await startLocalBridge(
    {
      host: options.host,
      port: options.port,
      dynamodbEndpoint: options.dynamodbEndpoint,
      sqsEndpoint: options.sqsEndpoint,
      s3Endpoint: options.s3Endpoint,
      fileBucket: options.fileBucket,
      publicUrl: options.publicUrl,
      dataDir: options.dataDir,
      tableName: SANDBOX_TABLE,
      functionEnv: {
        ...settingsEnvironment({
          tableName: SANDBOX_TABLE,
          fileBucket: options.fileBucket,
          supportChannelId: SANDBOX_CHANNEL_ID,
          slackApiUrl,
          metricsDisabled: 'true',
          logLevel: process.env[SETTINGS.logLevel.env] ?? 'WARN',
          // Soon enough to be seen while trying it (the bridge's default is 5 minutes); a user's setting wins.
          handoffReminderMinutes: process.env[SETTINGS.handoffReminderMinutes.env] ?? SANDBOX_REMINDER_MINUTES,
          escalationMention: '<!here>',
        }),
        ...secretsEnvironment({
          slackSigningSecret: signingSecret,
          slackBotToken: botToken,
          botpressWebhookUrl: webhookUrl,
          botpressWebhookSecret: webhookSecret,
          botpressSigningSecret,
          bridgeApiToken: bridgeToken,
        }),
      },
    },
    async (request, response, url) => {
      const route = `${request.method} ${url.pathname}`;
      if (route === 'GET /') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end(await page);
        return true;
      }
      if (route === 'GET /sandbox/state') return json(response, 200, snapshot());
      if (route === 'GET /sandbox/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        response.write(`event: state\ndata: ${JSON.stringify(snapshot())}\n\n`);
        streams.add(response);
        request.once('close', () => streams.delete(response));
        return true;
      }
      if (request.method !== 'POST' || !url.pathname.startsWith('/sandbox/')) return false;
      const input = JSON.parse((await readBody(request)).toString('utf8') || '{}') as { text?: string; threadTs?: string; messageTs?: string; actionId?: string };
      const text = input.text?.trim();
      switch (url.pathname) {
        case '/sandbox/customer':
          if (!text) return json(response, 400, { error: 'text is required' });
          // The page hears the outcome through the stream; a failure is shown there too, not lost.
          bot.customerSays(text).catch((error: unknown) => {
            console.error('sandbox bot failed:', error);
            bot.report(`The sandbox bot failed: ${error instanceof Error ? error.message : String(error)}`);
          });
          return json(response, 202, { ok: true });
        case '/sandbox/agent/reply':
          if (!text || !input.threadTs) return json(response, 400, { error: 'text and threadTs are required' });
          slack.agentReply(input.threadTs, text);
          return json(response, 202, { ok: true });
        case '/sandbox/agent/press':
          if (!input.messageTs || !input.actionId) return json(response, 400, { error: 'messageTs and actionId are required' });
          slack.pressButton(input.messageTs, input.actionId);
          return json(response, 202, { ok: true });
        case '/sandbox/new-conversation':
          bot.newConversation();
          return json(response, 200, { ok: true });
        default:
          return false;
      }
    },
  );
  slack.connect(bridge.url);
  configuration.bridgeUrl = `${bridge.url}/botpress`;

  return {
    url: bridge.url,
    server: bridge.server,
    failed: bridge.failed,
    embeddedDynamoPid: () => bridge.embeddedDynamoPid(),
    close: async () => {
      for (const stream of streams) stream.end();
      await bridge.close();
      await Promise.all([slack.close(), runtime.close(), api.close()]);
    },
  };
}

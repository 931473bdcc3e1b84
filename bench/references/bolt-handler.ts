import { App, AwsLambdaReceiver } from '@slack/bolt';
import { createAcceptJob } from './accept-job';
import { SECRETS, SETTINGS } from '../../shared/platform/settings';

/**
 * The Bolt way: @slack/bolt's App with its AwsLambdaReceiver doing the Slack
 * path's job (Bolt verifies the request and drops the app's own messages; the
 * listener drops other bots, then queues the reply). A benchmark reference only.
 */
const receiver = new AwsLambdaReceiver({ signingSecret: process.env[SECRETS.slackSigningSecret.env]! });
const app = new App({
  token: process.env[SECRETS.slackBotToken.env]!,
  receiver,
  // Known ids instead of an auth.test call at start-up, so that init does no I/O.
  botId: 'B0BRIDGE01',
  botUserId: 'U0BRIDGEBOT',
  tokenVerificationEnabled: false,
  clientOptions: { slackApiUrl: process.env[SETTINGS.slackApiUrl.env] },
});
const accept = createAcceptJob('bolt');

app.event('message', async ({ event }) => {
  const message = event as unknown as Record<string, string | undefined>;
  if (message.subtype || message.bot_id || message.app_id || !message.thread_ts || message.thread_ts === message.ts) return;
  await accept({ channel: message.channel!, ts: message.ts!, threadTs: message.thread_ts, user: message.user!, text: message.text ?? '' });
});

const lambda = receiver.start();
export const handler = async (event: Parameters<Awaited<typeof lambda>>[0], context: Parameters<Awaited<typeof lambda>>[1]) =>
  (await lambda)(event, context);

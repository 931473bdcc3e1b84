import { existsSync } from 'node:fs';
import { ConfigError } from '../shared/errors';
import { startLocalBridge } from './bridge';
import { readLocalConfig } from './config';

/** `npm start`: the local bridge. Settings from the environment, or from `.env` (DOTENV_CONFIG_PATH names another file). */
const envFile = process.env.DOTENV_CONFIG_PATH ?? '.env';
if (existsSync(envFile)) process.loadEnvFile(envFile);

let config;
try {
  config = readLocalConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Cannot start: ${error.message}.\nSet them in the environment or in .env (copy .env.example).`);
  process.exit(1);
}

const bridge = await startLocalBridge(config);
const lines = [
  `listening on ${bridge.url}`,
  `DynamoDB: ${config.dynamodbEndpoint ?? `embedded, data in ${config.dataDir}`}`,
  'Paste these, behind a public HTTPS tunnel to this address:',
  `  Slack Event Subscriptions request URL:  ${bridge.url}/slack/events`,
  `  Slack Interactivity request URL:        ${bridge.url}/slack/interactions`,
  `  Botpress configuration variable bridgeUrl: ${bridge.url}/botpress`,
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    bridge.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

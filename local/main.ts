import { existsSync } from 'node:fs';
import { ConfigError } from '../shared/platform/errors';
import { SETTINGS } from '../shared/platform/settings';
import { startLocalBridge } from './bridge';
import { readLocalConfig, readServerConfig, wantsSandbox, type LocalBridgeConfig, type LocalServerConfig } from './config';
import { startSandbox } from './sandbox/sandbox';

/** `npm start`: the local bridge. Settings from the environment, or from `.env` (DOTENV_CONFIG_PATH names another file). */
const envFile = process.env[SETTINGS.envFile.env] ?? SETTINGS.envFile.default;
if (existsSync(envFile)) process.loadEnvFile(envFile);

// No Slack or Botpress setting at all: the sandbox (it makes its own secrets). Some but not all: a mistake, reported below.
const sandbox = wantsSandbox(process.env);

let bridgeConfig: LocalBridgeConfig | undefined;
let config: LocalServerConfig;
try {
  bridgeConfig = sandbox ? undefined : readLocalConfig(process.env);
  config = bridgeConfig ?? readServerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Cannot start: ${error.message}.\nSet them in the environment or in .env (copy .env.example), or set none of them to try the sandbox.`);
  process.exit(1);
}

const bridge = bridgeConfig ? await startLocalBridge(bridgeConfig) : await startSandbox(config);
const lines = sandbox
  ? [
      `listening on ${bridge.url}`,
      `Sandbox: open ${bridge.url}/ in a browser. Slack and Botpress are simulated locally; the bridge, its signature checks and its storage (${config.dataDir}) are the real ones.`,
      'Set the Slack and Botpress settings (see .env.example) to run the plain local bridge instead.',
    ]
  : [
      `listening on ${bridge.url}`,
      `DynamoDB: ${config.dynamodbEndpoint ?? `embedded (process ${bridge.embeddedDynamoPid()}), data in ${config.dataDir}`}`,
      'Paste these, behind a public HTTPS tunnel to this address:',
      `  Slack Event Subscriptions request URL:  ${bridge.url}/slack/events`,
      `  Slack Interactivity request URL:        ${bridge.url}/slack/interactions`,
      `  Botpress configuration variable bridgeUrl: ${bridge.url}/botpress`,
    ];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
// An embedded service that keeps dying: stop, non-zero and naming it, so that whatever runs `npm start` can act.
void bridge.failed.then((error) => {
  if (stopping) return;
  stopping = true;
  console.error(`Stopping: ${error.message}`);
  void bridge.close().finally(() => process.exit(1));
});
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

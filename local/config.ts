import path from 'node:path';
import { ConfigError } from '../shared/errors';

/** Where `npm start` listens and keeps its data: needed by the local bridge and the sandbox alike. */
export interface LocalServerConfig {
  readonly host: string;
  readonly port: number;
  /** Another DynamoDB-API server; unset: the embedded one, keeping its data in `dataDir`. */
  readonly dynamodbEndpoint: string | undefined;
  readonly dataDir: string;
  readonly tableName: string;
}

/** Settings of the local bridge, from the environment or `.env` (names as in `.env.example`). */
export interface LocalBridgeConfig extends LocalServerConfig {
  /** The environment the function handlers read, exactly as in Lambda but with secrets inline. */
  readonly functionEnv: Readonly<Record<string, string>>;
}

export const REQUIRED_SETTINGS = [
  'SLACK_SIGNING_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_SUPPORT_CHANNEL_ID',
  'BOTPRESS_WEBHOOK_URL',
  'BOTPRESS_WEBHOOK_SECRET',
  'BRIDGE_API_TOKEN',
] as const;

const OPTIONAL_PASSED_THROUGH = ['SLACK_API_URL', 'MAPPING_TTL_HOURS', 'POWERTOOLS_LOG_LEVEL'] as const;

type Env = Readonly<Record<string, string | undefined>>;
const value = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** True when none of the Slack and Botpress settings is set: `npm start` then runs the sandbox. */
export function wantsSandbox(env: Env): boolean {
  return REQUIRED_SETTINGS.every((name) => !value(env, name));
}

export function readServerConfig(env: Env, cwd = process.cwd()): LocalServerConfig {
  const port = Number(value(env, 'PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${env.PORT}"`, ['PORT']);
  return {
    host: value(env, 'HOST') ?? '127.0.0.1',
    port,
    dynamodbEndpoint: value(env, 'DYNAMODB_ENDPOINT'),
    dataDir: path.resolve(cwd, value(env, 'BRIDGE_DATA_DIR') ?? '.data'),
    tableName: value(env, 'TABLE_NAME') ?? 'botpress-slack-hitl-local',
  };
}

/** Fails at once, listing every missing setting, rather than on the first request that needs one. */
export function readLocalConfig(env: Env, cwd = process.cwd()): LocalBridgeConfig {
  const missing = REQUIRED_SETTINGS.filter((name) => !value(env, name));
  if (missing.length > 0) throw new ConfigError(`missing required setting(s): ${missing.join(', ')}`, missing);
  const server = readServerConfig(env, cwd);
  // Embedded-metric lines are for CloudWatch; locally they would only bury the logs.
  const functionEnv: Record<string, string> = { TABLE_NAME: server.tableName, POWERTOOLS_METRICS_DISABLED: value(env, 'POWERTOOLS_METRICS_DISABLED') ?? 'true' };
  for (const name of [...REQUIRED_SETTINGS, ...OPTIONAL_PASSED_THROUGH]) {
    const setting = value(env, name);
    if (setting) functionEnv[name] = setting;
  }
  return { ...server, functionEnv };
}

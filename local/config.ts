import path from 'node:path';
import { ConfigError } from '../shared/platform/errors';
import { LOCALLY_REQUIRED, SECRETS, SETTINGS, SETTING_KEYS } from '../shared/platform/settings';

/** Where `npm start` listens and keeps its data: needed by the local bridge and the sandbox alike. */
export interface LocalServerConfig {
  readonly host: string;
  readonly port: number;
  /** Another DynamoDB-API server; unset: the embedded one, keeping its data in `dataDir`. */
  readonly dynamodbEndpoint: string | undefined;
  /** Another SQS-API server; unset: the embedded one, keeping its messages in `dataDir`. */
  readonly sqsEndpoint: string | undefined;
  /** Another S3-API server; unset: the embedded one, keeping its files in `dataDir`. */
  readonly s3Endpoint: string | undefined;
  readonly fileBucket: string;
  /** What links to agents' files start with (the user's tunnel); unset: the local address. */
  readonly publicUrl: string | undefined;
  readonly dataDir: string;
  readonly tableName: string;
}

/** Settings of the local bridge, from the environment or `.env` (declared in shared/platform/settings.ts). */
export interface LocalBridgeConfig extends LocalServerConfig {
  /** The environment the function handlers read, exactly as in Lambda but with secrets inline. */
  readonly functionEnv: Readonly<Record<string, string>>;
}

/** What the functions read under `npm start`: every secret, and every setting they read but the AWS-only ones. */
const PASSED_TO_FUNCTIONS = [
  ...Object.values(SECRETS).map((secret) => secret.env),
  ...SETTING_KEYS.filter((key) => SETTINGS[key].where === 'functions').map((key) => SETTINGS[key].env),
];

type Env = Readonly<Record<string, string | undefined>>;
const value = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** True when none of the Slack and Botpress settings is set: `npm start` then runs the sandbox. */
export function wantsSandbox(env: Env): boolean {
  return LOCALLY_REQUIRED.every((name) => !value(env, name));
}

export function readServerConfig(env: Env, cwd = process.cwd()): LocalServerConfig {
  const port = Number(value(env, SETTINGS.port.env) ?? SETTINGS.port.default);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${SETTINGS.port.env} must be a port number, got "${env[SETTINGS.port.env]}"`, [SETTINGS.port.env]);
  }
  return {
    host: value(env, SETTINGS.host.env) ?? SETTINGS.host.default,
    port,
    dynamodbEndpoint: value(env, SETTINGS.dynamodbEndpoint.env),
    sqsEndpoint: value(env, SETTINGS.sqsEndpoint.env),
    s3Endpoint: value(env, SETTINGS.s3Endpoint.env),
    fileBucket: value(env, SETTINGS.fileBucket.env) ?? SETTINGS.fileBucket.localDefault,
    publicUrl: value(env, SETTINGS.publicUrl.env),
    dataDir: path.resolve(cwd, value(env, SETTINGS.dataDir.env) ?? SETTINGS.dataDir.default),
    tableName: value(env, SETTINGS.tableName.env) ?? SETTINGS.tableName.localDefault,
  };
}

/** Fails at once, listing every missing setting, rather than on the first request that needs one. */
export function readLocalConfig(env: Env, cwd = process.cwd()): LocalBridgeConfig {
  const missing = LOCALLY_REQUIRED.filter((name) => !value(env, name));
  if (missing.length > 0) throw new ConfigError(`missing required setting(s): ${missing.join(', ')}`, missing);
  const server = readServerConfig(env, cwd);
  const functionEnv: Record<string, string> = {
    // Embedded-metric lines are for CloudWatch; locally they would only bury the logs.
    [SETTINGS.metricsDisabled.env]: 'true',
  };
  for (const name of PASSED_TO_FUNCTIONS) {
    const setting = value(env, name);
    if (setting) functionEnv[name] = setting;
  }
  return { ...server, functionEnv: { ...functionEnv, [SETTINGS.tableName.env]: server.tableName, [SETTINGS.fileBucket.env]: server.fileBucket } };
}

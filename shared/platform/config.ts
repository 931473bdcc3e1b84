import { ConfigError, DownstreamError } from './errors';
import type { PaceRule } from './pace';
import { SECRET_NAMES, SECRETS, SETTINGS, type SecretName, type SettingKey } from './settings';

/** Non-secret settings, read once per container from environment variables (names in ./settings). */
export interface Settings {
  readonly tableName: string;
  /** Slack channel that receives handoff cards (only the functions that post cards need it). */
  readonly supportChannelId: string | undefined;
  /** How long a thread mapping lives after its last activity. */
  readonly mappingTtlSeconds: number;
  /** Overrides Slack's Web API base URL (local stand-ins); undefined means Slack's own. */
  readonly slackApiUrl: string | undefined;
  /** A DynamoDB-API endpoint other than AWS (dynalite locally). */
  readonly dynamodbEndpoint: string | undefined;
  /** ARN or name of the JSON secret in AWS Secrets Manager; unset locally. */
  readonly secretId: string | undefined;
  /** The secret whose value signs links to agents' files (AWS); unset locally, where the bridge API token does. */
  readonly fileLinkSecretId: string | undefined;
  /** The FIFO queue every delivery goes through. */
  readonly deliveryQueueUrl: string;
  /** Where the delivery function puts what it gave up on (only it needs this). */
  readonly deadLetterQueueUrl: string | undefined;
  /** An SQS-API endpoint other than AWS (the embedded one locally). */
  readonly sqsEndpoint: string | undefined;
  /** How long a delivery is retried before the bridge gives up on it and says so. */
  readonly deliveryGiveUpMs: number;
  /** The bucket for agents' files (the functions that handle files need it). */
  readonly fileBucket: string | undefined;
  /** An S3-API endpoint other than AWS (the embedded one locally). */
  readonly s3Endpoint: string | undefined;
  /** What links to agents' files start with: the API's URL (the delivery function needs it). */
  readonly publicUrl: string | undefined;
  /** How long a link to an agent's file works. */
  readonly fileLinkSeconds: number;
  /** What starts an internal note (lower case): a reply that stays on the desk. */
  readonly internalNotePrefixes: readonly string[];
  /** How long an unclaimed handoff waits before each reminder; 0: no reminders. */
  readonly reminderIntervalMs: number;
  /** Whom a reminder mentions, in the desk's markup as configured; undefined: nobody. */
  readonly escalationMention: string | undefined;
  /** The delay queue reminders wait in (the functions that schedule or post them need it). */
  readonly reminderQueueUrl: string | undefined;
  /** Each queue's own channel, by the queue's name in lower case. */
  readonly queueChannels: ReadonlyMap<string, string>;
  /** Whether the functions send X-Ray traces. */
  readonly tracing: boolean;
  /** Slack's pace of posts per channel. */
  readonly slackPostPace: PaceRule;
}

/** The settings that only some functions need; a function that asks for one gets it typed as present. */
type OptionalSetting = 'supportChannelId' | 'deadLetterQueueUrl' | 'fileBucket' | 'publicUrl' | 'reminderQueueUrl';
export type SettingsWith<K extends OptionalSetting> = Settings & { readonly [P in K]: NonNullable<Settings[P]> };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the settings and fails fast, naming every missing or malformed variable
 * at once, so that a misconfigured deployment fails at init rather than on the
 * first customer message.
 */
export function readSettings<K extends OptionalSetting = never>(env: Env = process.env, required: readonly K[] = []): SettingsWith<K> {
  const present = (key: SettingKey): string | undefined => {
    const value = env[SETTINGS[key].env]?.trim();
    return value === '' ? undefined : value;
  };
  const missing = (['tableName', 'deliveryQueueUrl', ...required] as const).filter((key) => present(key) === undefined).map((key) => SETTINGS[key].env);
  if (missing.length > 0) throw new ConfigError(`missing required setting(s): ${missing.join(', ')}`, missing);

  const positive = (key: 'mappingTtlHours' | 'deliveryGiveUpMinutes' | 'fileLinkDays', unit: string): number => {
    const text = present(key);
    const value = Number(text ?? SETTINGS[key].default);
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${SETTINGS[key].env} must be a positive number of ${unit}, got "${text}"`, [SETTINGS[key].env]);
    return value;
  };

  return {
    tableName: present('tableName'),
    supportChannelId: present('supportChannelId'),
    mappingTtlSeconds: Math.round(positive('mappingTtlHours', 'hours') * 3600),
    slackApiUrl: present('slackApiUrl'),
    dynamodbEndpoint: present('dynamodbEndpoint'),
    secretId: present('secretId'),
    fileLinkSecretId: present('fileLinkSecretId'),
    deliveryQueueUrl: present('deliveryQueueUrl'),
    deadLetterQueueUrl: present('deadLetterQueueUrl'),
    sqsEndpoint: present('sqsEndpoint'),
    deliveryGiveUpMs: Math.round(positive('deliveryGiveUpMinutes', 'minutes') * 60_000),
    fileBucket: present('fileBucket'),
    s3Endpoint: present('s3Endpoint'),
    publicUrl: present('publicUrl')?.replace(/\/+$/, ''),
    fileLinkSeconds: Math.round(positive('fileLinkDays', 'days') * 86_400),
    internalNotePrefixes: notePrefixesFrom(env[SETTINGS.internalNotePrefixes.env] ?? SETTINGS.internalNotePrefixes.default),
    reminderIntervalMs: reminderIntervalFrom(present('handoffReminderMinutes') ?? SETTINGS.handoffReminderMinutes.default),
    escalationMention: escalationMentionFrom(present('escalationMention')),
    reminderQueueUrl: present('reminderQueueUrl'),
    queueChannels: queueChannelsFrom(present('queueChannels') ?? ''),
    tracing: (present('tracing') ?? SETTINGS.tracing.default).toLowerCase() === 'true',
    slackPostPace: paceFrom(present('slackPostPace') ?? SETTINGS.slackPostPace.default),
  } as SettingsWith<K>;
}

/**
 * SLACK_QUEUE_CHANNELS (`billing=C0123,tech=C0456`) as a map from queue name
 * (lower case) to channel id; empty: no queue has a channel. A malformed
 * entry fails, naming it, so that a typo cannot send a team's handoffs to
 * the wrong place unnoticed.
 */
export function queueChannelsFrom(text: string): ReadonlyMap<string, string> {
  const { env } = SETTINGS.queueChannels;
  const channels = new Map<string, string>();
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [name = '', channel = '', ...rest] = entry.split('=').map((part) => part.trim());
    const queue = name.toLowerCase();
    if (rest.length > 0 || !/^[a-z0-9][a-z0-9_-]{0,39}$/.test(queue) || !/^[CG][A-Z0-9]{6,}$/.test(channel) || channels.has(queue)) {
      throw new ConfigError(`${env} has a bad entry "${entry}": each must be queue=channel id (billing=C0123ABCD), each queue once`, [env]);
    }
    channels.set(queue, channel);
  }
  return channels;
}

/** HANDOFF_REMINDER_MINUTES in ms: 0 (no reminders) or a positive number of minutes, decimals allowed (0.05 for tests). */
export function reminderIntervalFrom(text: string): number {
  const minutes = Number(text);
  if (text.trim() === '' || !Number.isFinite(minutes) || minutes < 0) {
    throw new ConfigError(`${SETTINGS.handoffReminderMinutes.env} must be a number of minutes (0 for no reminders), got "${text}"`, [SETTINGS.handoffReminderMinutes.env]);
  }
  return Math.round(minutes * 60_000);
}

/** SLACK_POST_PACE (`1,3`: posts a second, posts at once) as a pace; anything else fails, naming it. */
export function paceFrom(text: string): PaceRule {
  const [perSecond, burst, ...rest] = text.split(',').map((part) => Number(part.trim()));
  if (rest.length > 0 || !(perSecond! > 0) || !Number.isInteger(burst) || burst! < 1) {
    throw new ConfigError(`${SETTINGS.slackPostPace.env} must be posts a second and posts at once, such as 1,3, got "${text}"`, [SETTINGS.slackPostPace.env]);
  }
  return { intervalMs: 1000 / perSecond!, burst: burst! };
}

/** Slack's mentions a reminder can carry: a user group, or everyone here. */
const ESCALATION_MENTION = /^(<!subteam\^S[A-Z0-9]+(\|[^<>]*)?>|<!here>)$/;

/** SLACK_ESCALATION_MENTION: a user group (`<!subteam^S…>`), `<!here>`, or unset; anything else fails, naming it. */
export function escalationMentionFrom(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!ESCALATION_MENTION.test(text)) {
    throw new ConfigError(`${SETTINGS.escalationMention.env} must be a user group (<!subteam^S0123ABCD>) or <!here>, got "${text}"`, [SETTINGS.escalationMention.env]);
  }
  return text;
}

/** A prefix is what an agent types first: a few characters (the card shows them). */
const NOTE_PREFIX_MAX = 20;

/**
 * INTERNAL_NOTE_PREFIXES as the prefixes it lists (trimmed, lower case): a
 * ConfigError naming it when it lists none, or an entry is empty, so that a
 * typo cannot quietly send every note to customers. Read by the functions
 * and by the CDK app (its `internalNotePrefixes` context).
 */
export function notePrefixesFrom(text: string): string[] {
  const { env } = SETTINGS.internalNotePrefixes;
  const entries = text.split(',').map((entry) => entry.trim().toLowerCase());
  const bad = entries.findIndex((entry) => entry === '' || entry.length > NOTE_PREFIX_MAX);
  if (bad >= 0) {
    const why = entries[bad] === '' ? 'is empty' : `is over ${NOTE_PREFIX_MAX} characters`;
    throw new ConfigError(`${env} must list short prefixes separated by commas (e.g. "note:,;;"), got "${text}": entry ${bad + 1} ${why}`, [env]);
  }
  return entries;
}

/** The values kept in the one JSON secret. Keys are the JSON property names. */
export type BridgeSecrets = { readonly [K in SecretName]: string };

export type { SecretName };

/** The bridge's secrets, cached (createSecretsProvider). */
export type SecretsProvider = () => Promise<BridgeSecrets>;

/** One secret. */
export function secretFrom(secrets: SecretsProvider, name: SecretName): Promise<string> {
  return secrets().then((values) => values[name]);
}

export interface SecretsProviderOptions {
  readonly settings: Pick<Settings, 'secretId'>;
  /** The values this function cannot work without; absent ones fail with a ConfigError naming them. */
  readonly required: readonly SecretName[];
  readonly env?: Env;
  /** Re-read after this long so that a rotated or newly set secret takes effect without a redeploy. */
  readonly maxAgeMs?: number;
  /** After a re-read failed for want of Secrets Manager, how long the values read before are used until the next try. */
  readonly retryAfterFailureMs?: number;
  /** Told when a re-read failed and the values read before are used instead. */
  readonly onStale?: (error: DownstreamError) => void;
  readonly now?: () => number;
  /** Reads the secret's string by id: Secrets Manager's GetSecretValue in AWS (shared/aws/secrets.ts). */
  readonly fetchSecretString: SecretStringReader;
}

export type SecretStringReader = (secretId: string) => Promise<string | undefined>;

/**
 * Returns a cached provider of the bridge's secrets: from AWS Secrets Manager
 * when a secret id is configured, else from environment variables (local runs).
 * A failed or incomplete read is not cached, so fixing the secret heals the
 * function at its next request; a re-read that cannot reach Secrets Manager
 * keeps the values read before.
 */
export function createSecretsProvider(options: SecretsProviderOptions): SecretsProvider {
  const { settings, required, env = process.env, maxAgeMs = 5 * 60_000, retryAfterFailureMs = 30_000, onStale, now = Date.now } = options;
  const { fetchSecretString } = options;
  let cached: { value: BridgeSecrets; refreshAt: number } | undefined;
  let inflight: Promise<BridgeSecrets> | undefined;

  const load = async (): Promise<BridgeSecrets> => {
    const source = settings.secretId
      ? await readSecretJson(settings.secretId, fetchSecretString)
      : Object.fromEntries(SECRET_NAMES.map((name) => [name, env[SECRETS[name].env]]));
    return validateSecrets(source, required, settings.secretId ? `secret ${settings.secretId}` : 'environment');
  };

  return () => {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.value);
    // One read at a time: concurrent cold requests share it instead of stampeding Secrets Manager.
    inflight ??= load()
      .then(
        (value) => {
          cached = { value, refreshAt: now() + maxAgeMs };
          return value;
        },
        (error: unknown) => {
          // Secrets Manager out of reach is no reason to stop working on values read minutes ago; a secret
          // that now reads wrong (a ConfigError) is, so that the mistake shows. Tried again a little later,
          // not on every request, each of which would wait out the timeouts.
          if (!cached || !(error instanceof DownstreamError)) throw error;
          onStale?.(error);
          cached = { value: cached.value, refreshAt: now() + retryAfterFailureMs };
          return cached.value;
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

async function readSecretJson(
  secretId: string,
  fetchSecretString: SecretStringReader,
): Promise<Record<string, unknown>> {
  let raw: string | undefined;
  try {
    raw = await fetchSecretString(secretId);
  } catch (error) {
    throw new DownstreamError('secrets-manager', `could not read secret ${secretId}`, { cause: error });
  }
  if (raw === undefined) throw new ConfigError(`secret ${secretId} has no string value`);
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: the message below must not echo the secret's content
  }
  throw new ConfigError(`secret ${secretId} is not a JSON object`);
}

function validateSecrets(source: Record<string, unknown>, required: readonly SecretName[], where: string): BridgeSecrets {
  const missing = required.filter((name) => typeof source[name] !== 'string' || source[name].trim() === '');
  if (missing.length > 0) {
    const names = where === 'environment' ? missing.map((name) => SECRETS[name].env) : missing;
    throw new ConfigError(`missing required setting(s) in ${where}: ${names.join(', ')}`, names);
  }
  const value = (name: SecretName): string => (typeof source[name] === 'string' ? source[name].trim() : '');
  return Object.fromEntries(SECRET_NAMES.map((name) => [name, value(name)])) as BridgeSecrets;
}

/**
 * Every setting and secret the bridge reads, declared once: its environment
 * variable, what it means, whether it is required and its default. The
 * functions' config reader, the CDK stack, `npm start`, the sandbox, the bench
 * and the tests take names from here; README's settings table and
 * `.env.example` are checked against it (test/shared/platform/settings.test.ts).
 * No imports: the CDK app and the local runner read this too.
 */
export interface SettingDeclaration {
  /** The environment variable. */
  readonly env: string;
  /** One line, for README's table and `.env.example`. */
  readonly meaning: string;
  /** Without it the bridge does not start: a function fails its init, `npm start` stops, naming it. */
  readonly required: boolean;
  /** The value when unset. */
  readonly default?: string;
  /** A required setting's value when unset under `npm start`; in AWS the stack always sets it. */
  readonly localDefault?: string;
  /** Where it is read: by the functions (in AWS and under `npm start`), in AWS only, or by `npm start` only. */
  readonly where: 'functions' | 'aws' | 'local';
  /** Set by the stack in AWS and by `npm start` locally (queue URLs, Powertools' names); not for a user to set. */
  readonly internal?: boolean;
}

export const SETTINGS = {
  tableName: {
    env: 'TABLE_NAME',
    meaning: 'The DynamoDB table (`npm start` creates it when missing)',
    required: true,
    localDefault: 'botpress-slack-hitl-local',
    where: 'functions',
  },
  supportChannelId: {
    env: 'SLACK_SUPPORT_CHANNEL_ID',
    meaning: 'The channel for handoff cards (its id, `C…`, ends its About tab)',
    required: true,
    where: 'functions',
  },
  queueChannels: {
    env: 'SLACK_QUEUE_CHANNELS',
    meaning: 'Channels of their own for queues a handoff may ask for: `billing=C0123,tech=C0456` (others go to the support channel)',
    required: false,
    default: '',
    where: 'functions',
  },
  mappingTtlHours: {
    env: 'MAPPING_TTL_HOURS',
    meaning: 'A thread mapping’s lifetime after its last activity, in hours',
    required: false,
    default: '168',
    where: 'functions',
  },
  slackApiUrl: {
    env: 'SLACK_API_URL',
    meaning: 'Another Slack Web API base URL (a stand-in)',
    required: false,
    where: 'functions',
  },
  dynamodbEndpoint: {
    env: 'DYNAMODB_ENDPOINT',
    meaning: 'Another DynamoDB-API server (`npm start`: an embedded one when unset)',
    required: false,
    where: 'functions',
  },
  internalNotePrefixes: {
    env: 'INTERNAL_NOTE_PREFIXES',
    meaning: 'What starts an internal note in a handoff thread (stays in Slack), comma-separated, any case',
    required: false,
    default: 'note:,;;',
    where: 'functions',
  },
  handoffReminderMinutes: {
    env: 'HANDOFF_REMINDER_MINUTES',
    meaning: 'Remind the channel of an unclaimed handoff after this many minutes, up to 3 times (decimals allowed; 0: never)',
    required: false,
    default: '5',
    where: 'functions',
  },
  slackPostPace: {
    env: 'SLACK_POST_PACE',
    meaning: 'Posts a second to one channel, and how many at once after a quiet spell, for every function together: a little under Slack’s one a second, as a post’s way to Slack shifts its turn. Raise it only against a stand-in',
    required: false,
    default: '0.95,3',
    where: 'functions',
  },
  escalationMention: {
    env: 'SLACK_ESCALATION_MENTION',
    meaning: 'Whom a reminder mentions: a user group `<!subteam^S…>`, `<!here>`, or empty for nobody',
    required: false,
    default: '',
    where: 'functions',
  },
  deliveryGiveUpMinutes: {
    env: 'DELIVERY_GIVE_UP_MINUTES',
    meaning: 'How long a delivery is retried before the bridge gives up and says so',
    required: false,
    default: '15',
    where: 'functions',
  },
  sqsEndpoint: {
    env: 'SQS_ENDPOINT',
    meaning: 'Another SQS-API server (`npm start`: an embedded one when unset)',
    required: false,
    where: 'functions',
  },
  fileBucket: {
    env: 'FILE_BUCKET',
    meaning: 'The private S3 bucket for agents’ files sent to customers',
    required: true,
    localDefault: 'botpress-slack-hitl-files-local',
    where: 'functions',
  },
  s3Endpoint: {
    env: 'S3_ENDPOINT',
    meaning: 'Another S3-API server (`npm start`: an embedded one when unset)',
    required: false,
    where: 'functions',
  },
  publicUrl: {
    env: 'BRIDGE_PUBLIC_URL',
    meaning: 'Where links to agents’ files start: the API’s URL (locally your tunnel’s, else the local one)',
    required: false,
    where: 'functions',
  },
  fileLinkDays: {
    env: 'FILE_LINK_DAYS',
    meaning: 'How long a link to an agent’s file works, in days',
    required: false,
    default: '7',
    where: 'functions',
  },
  deliveryQueueUrl: { env: 'DELIVERY_QUEUE_URL', meaning: 'The FIFO queue of deliveries', required: true, where: 'functions', internal: true },
  reminderQueueUrl: { env: 'REMINDER_QUEUE_URL', meaning: 'The delay queue that holds reminders until they are due', required: false, where: 'functions', internal: true },
  deadLetterQueueUrl: { env: 'DEAD_LETTER_QUEUE_URL', meaning: 'Where deliveries the bridge gave up on are kept', required: false, where: 'functions', internal: true },
  fileLinkSecretId: {
    env: 'FILE_LINK_SECRET_ARN',
    meaning: 'The Secrets Manager secret, generated by the stack, whose value signs links to agents’ files (locally: derived from the bridge API token)',
    required: false,
    where: 'aws',
  },
  secretId: {
    env: 'BRIDGE_SECRET_ARN',
    meaning: 'The Secrets Manager secret: JSON with the secrets above',
    required: false,
    where: 'aws',
  },
  logLevel: {
    env: 'POWERTOOLS_LOG_LEVEL',
    meaning: '`DEBUG`, `INFO`, `WARN` or `ERROR` (the sandbox: `WARN`)',
    required: false,
    default: 'INFO',
    where: 'functions',
  },
  tracing: {
    env: 'POWERTOOLS_TRACE_ENABLED',
    meaning: 'Sends AWS X-Ray traces of every invocation and AWS call (`-c tracing=true` in AWS; adds to each cold start: bench/README.md)',
    required: false,
    default: 'false',
    where: 'functions',
  },
  serviceName: { env: 'POWERTOOLS_SERVICE_NAME', meaning: 'The service name in logs and metrics', required: false, where: 'functions', internal: true },
  metricsNamespace: { env: 'POWERTOOLS_METRICS_NAMESPACE', meaning: 'The CloudWatch metrics namespace', required: false, where: 'functions', internal: true },
  metricsDisabled: {
    env: 'POWERTOOLS_METRICS_DISABLED',
    meaning: 'Silences embedded-metric lines outside Lambda',
    required: false,
    where: 'functions',
    internal: true,
  },
  port: { env: 'PORT', meaning: 'The port `npm start` listens on', required: false, default: '3000', where: 'local' },
  host: { env: 'HOST', meaning: 'The address `npm start` listens on', required: false, default: '127.0.0.1', where: 'local' },
  dataDir: { env: 'BRIDGE_DATA_DIR', meaning: 'Where the embedded DynamoDB, SQS and S3 keep their data', required: false, default: '.data', where: 'local' },
  envFile: { env: 'DOTENV_CONFIG_PATH', meaning: 'Another settings file for `npm start` (from the environment only)', required: false, default: '.env', where: 'local' },
} as const satisfies Record<string, SettingDeclaration>;

export type SettingKey = keyof typeof SETTINGS;

/**
 * The secrets, each under its key in the one Secrets Manager secret in AWS,
 * and in an environment variable under `npm start`. All are required by the
 * bridge; each function asks for the ones it uses.
 */
export interface SecretDeclaration {
  readonly env: string;
  readonly meaning: string;
}

export const SECRETS = {
  slackSigningSecret: { env: 'SLACK_SIGNING_SECRET', meaning: 'The Slack app’s Signing Secret' },
  slackBotToken: { env: 'SLACK_BOT_TOKEN', meaning: 'The Slack app’s bot token, `xoxb-…`' },
  botpressWebhookUrl: { env: 'BOTPRESS_WEBHOOK_URL', meaning: 'Where events go: the integration’s webhook URL (or the Webhook integration’s)' },
  botpressWebhookSecret: { env: 'BOTPRESS_WEBHOOK_SECRET', meaning: 'The Webhook integration’s secret (sent as `x-bp-secret`)' },
  bridgeApiToken: {
    env: 'BRIDGE_API_TOKEN',
    meaning: 'The token Botpress sends as `Bearer` (in AWS the stack makes it)',
  },
  botpressSigningSecret: {
    env: 'BOTPRESS_SIGNING_SECRET',
    meaning: 'Signs the bridge’s calls to Botpress (the integration’s *Signing secret*)',
  },
} as const satisfies Record<string, SecretDeclaration>;

export type SecretName = keyof typeof SECRETS;

/** The secret the stack generates into the secret it creates; the user sets the others after deploy. */
export const GENERATED_SECRET: SecretName = 'bridgeApiToken';

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const SECRET_NAMES = Object.keys(SECRETS) as SecretName[];

/** The settings `npm start` needs from its user: every secret, and each required setting it has no default for and does not set itself. */
export const LOCALLY_REQUIRED: readonly string[] = [
  ...SECRET_NAMES.map((name) => SECRETS[name].env),
  ...SETTING_KEYS.filter((key) => {
    const setting: SettingDeclaration = SETTINGS[key];
    return setting.required && setting.localDefault === undefined && !setting.internal;
  }).map((key) => SETTINGS[key].env),
];

/**
 * A function's environment from settings by key, so that no caller spells a
 * variable's name. Undefined values are left out.
 */
export function settingsEnvironment(values: Partial<Record<SettingKey, string | undefined>>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const value = values[key];
    if (value !== undefined) environment[SETTINGS[key].env] = value;
  }
  return environment;
}

/** The environment variables that carry secrets when there is no Secrets Manager (local runs, tests). */
export function secretsEnvironment(values: Partial<Record<SecretName, string>>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of SECRET_NAMES) {
    const value = values[name];
    if (value !== undefined) environment[SECRETS[name].env] = value;
  }
  return environment;
}

import { App, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { escalationMentionFrom, notePrefixesFrom, queueChannelsFrom, reminderIntervalFrom } from '../shared/platform/config';
import { SETTINGS } from '../shared/platform/settings';
import { BridgeStack, DEFAULT_STACK_NAME, type BridgeStackProps } from './stack';

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** Customers waiting a quarter of an hour for an agent, one in ten or more: someone should look. */
const DEFAULT_TIME_TO_CLAIM_ALARM_MINUTES = 15;

function readContext(app: App, key: string): string | undefined {
  // `-c key=value` arrives as a string, cdk.json values as JSON (numbers here).
  const value: unknown = app.node.tryGetContext(key);
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  return text === '' ? undefined : text;
}

/** The stack's settings from CDK context (`-c key=value` or cdk.json); a bad one fails with how to set it. */
export function settingsFromContext(app: App): Omit<BridgeStackProps, keyof StackProps> {
  const supportChannelId = readContext(app, 'supportChannelId');
  if (!supportChannelId || !/^[CG][A-Z0-9]{6,}$/.test(supportChannelId)) {
    throw new Error(
      `Set the Slack support channel id (C… or G…, at the bottom of the channel's "About" tab): npx cdk deploy -c supportChannelId=C0123456789${supportChannelId ? ` (got "${supportChannelId}")` : ''}`,
    );
  }
  const mappingTtlHours = Number(readContext(app, 'mappingTtlHours') ?? SETTINGS.mappingTtlHours.default);
  if (!Number.isFinite(mappingTtlHours) || mappingTtlHours <= 0) throw new Error('mappingTtlHours must be a positive number of hours');
  const deliveryGiveUpMinutes = Number(readContext(app, 'deliveryGiveUpMinutes') ?? SETTINGS.deliveryGiveUpMinutes.default);
  if (!Number.isFinite(deliveryGiveUpMinutes) || deliveryGiveUpMinutes <= 0) throw new Error('deliveryGiveUpMinutes must be a positive number of minutes');
  const fileLinkDays = Number(readContext(app, 'fileLinkDays') ?? SETTINGS.fileLinkDays.default);
  if (!Number.isInteger(fileLinkDays) || fileLinkDays <= 0) throw new Error('fileLinkDays must be a whole, positive number of days');
  const timeToClaimAlarmMinutes = Number(readContext(app, 'timeToClaimAlarmMinutes') ?? DEFAULT_TIME_TO_CLAIM_ALARM_MINUTES);
  if (!Number.isFinite(timeToClaimAlarmMinutes) || timeToClaimAlarmMinutes <= 0) throw new Error('timeToClaimAlarmMinutes must be a positive number of minutes');
  const logLevel = (readContext(app, 'logLevel') ?? SETTINGS.logLevel.default).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  // Its own reader: an empty `-c internalNotePrefixes=` must fail, not fall back to the default.
  const notes: unknown = app.node.tryGetContext('internalNotePrefixes');
  const internalNotePrefixes = notePrefixesFrom(typeof notes === 'string' ? notes : SETTINGS.internalNotePrefixes.default);
  return {
    supportChannelId,
    alarmEmail: readContext(app, 'alarmEmail'),
    mappingTtlHours,
    deliveryGiveUpMinutes,
    fileLinkDays,
    logLevel: logLevel as BridgeStackProps['logLevel'],
    tracing: booleanContext(app, 'tracing'),
    internalNotePrefixes,
    timeToClaimAlarmMinutes,
    // Checked as the functions check them, so that a bad value fails the synth rather than every cold start.
    handoffReminderMinutes: reminderIntervalFrom(readContext(app, 'handoffReminderMinutes') ?? SETTINGS.handoffReminderMinutes.default) / 60_000,
    escalationMention: escalationMentionFrom(readContext(app, 'escalationMention')),
    queueChannels: [...queueChannelsFrom(readContext(app, 'queueChannels') ?? '')].map(([queue, channel]) => `${queue}=${channel}`).join(','),
  };
}

/** A yes-or-no context key: `-c tracing=true`, or true in cdk.json; anything else but false and nothing fails. */
function booleanContext(app: App, key: string): boolean {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** The CDK app: the bridge's stack, checked by cdk-nag's AWS Solutions rules at every synth. */
export function buildApp(app = new App()): { app: App; stack: BridgeStack } {
  const stack = new BridgeStack(app, readContext(app, 'stackName') ?? DEFAULT_STACK_NAME, {
    ...settingsFromContext(app),
    description: 'botpress-slack-hitl: human handoff between a Botpress bot and a Slack support channel',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

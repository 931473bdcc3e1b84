/** Metric names shared by the functions (which emit them) and the stack (dashboard, alarms). No imports: the CDK app reads this too. */
export const METRICS_NAMESPACE = 'BotpressSlackHitl';
export const METRICS_SERVICE = 'botpress-slack-hitl';

export const BridgeMetric = {
  HandoffsOpened: 'HandoffsOpened',
  /** Slack could not take a handoff's card when Botpress asked; the delivery function posts it. */
  HandoffsQueued: 'HandoffsQueued',
  CustomerMessagesPosted: 'CustomerMessagesPosted',
  AgentRepliesQueued: 'AgentRepliesQueued',
  AgentRepliesDelivered: 'AgentRepliesDelivered',
  /** A delivery attempt failed and will be retried. */
  DeliveryRetries: 'DeliveryRetries',
  /** A delivery was not done within a minute: the agent got a notice. */
  LateDeliveries: 'LateDeliveries',
  /** The bridge gave up on a delivery (a reply, a Claim/Resolve, a customer's message): a notice, the dead-letter queue, an alarm. */
  DeliveryFailures: 'DeliveryFailures',
  /** Slack refused a call for a reason a person must fix (the app not in the channel, a revoked token); the log says the fix. */
  SlackRefusals: 'SlackRefusals',
  /** A request refused for its signature or token (401): above a few, a secret likely no longer matches the sender's. */
  RequestsRefused: 'RequestsRefused',
  HandoffsClaimed: 'HandoffsClaimed',
  /** Given back by the agent who had it (off shift): unclaimed again. */
  HandoffsReleased: 'HandoffsReleased',
  /** Taken from the agent who had it by a colleague. */
  HandoffsTakenOver: 'HandoffsTakenOver',
  HandoffsResolved: 'HandoffsResolved',
  HandoffsEnded: 'HandoffsEnded',
} as const;

/** The service levels, per handoff, in milliseconds from its opening; with the service alone and with the channel as dimensions. */
export const ServiceLevelMetric = {
  TimeToClaim: 'TimeToClaim',
  TimeToFirstReply: 'TimeToFirstReply',
  TimeToResolve: 'TimeToResolve',
} as const;

/** The dimension a service level carries besides the service: where the handoff was. */
export const CHANNEL_DIMENSION = 'Channel';

export type BridgeMetricName = (typeof BridgeMetric)[keyof typeof BridgeMetric];

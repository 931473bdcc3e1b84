/** Metric names shared by the functions (which emit them) and the stack (dashboard, alarms). No imports: the CDK app reads this too. */
export const METRICS_NAMESPACE = 'BotpressSlackHitl';
export const METRICS_SERVICE = 'botpress-slack-hitl';

export const BridgeMetric = {
  HandoffsOpened: 'HandoffsOpened',
  CustomerMessagesPosted: 'CustomerMessagesPosted',
  AgentRepliesDelivered: 'AgentRepliesDelivered',
  /** A Botpress delivery failed and the sender was asked to retry (503). */
  DeliveryRetries: 'DeliveryRetries',
  /** Botpress never got it: an agent reply after Slack's last retry, or a Claim/Resolve the bot could not be told about. */
  DeliveryFailures: 'DeliveryFailures',
  HandoffsClaimed: 'HandoffsClaimed',
  HandoffsResolved: 'HandoffsResolved',
  HandoffsEnded: 'HandoffsEnded',
} as const;

export type BridgeMetricName = (typeof BridgeMetric)[keyof typeof BridgeMetric];

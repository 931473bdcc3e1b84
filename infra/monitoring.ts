import { Aws, Duration } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TextWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ROUTES } from './routes';
import { BridgeMetric, CHANNEL_DIMENSION, METRICS_NAMESPACE, ServiceLevelMetric, type BridgeMetricName } from '../shared/platform/metric-names';

export interface BridgeMonitoringProps {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly slackFunction: IFunction;
  readonly botpressFunction: IFunction;
  readonly deliveryFunction: IFunction;
  readonly deliveries: IQueue;
  readonly deadLetters: IQueue;
  readonly reminderDeadLetters: IQueue;
  readonly alarmEmail?: string | undefined;
  /** The functions' metrics dimension, and the dashboard's name before the region: the stack's own (stack.ts, serviceNameOf). */
  readonly service: string;
  /** The time to claim's p90 (minutes) above which the team is alarmed: customers wait too long for an agent. */
  readonly timeToClaimAlarmMinutes: number;
}

/** Deliveries are retried for minutes; an oldest message older than this means they are backing up, not just retrying one. */
export const DELIVERY_BACKLOG_ALARM_SECONDS = 120;

/** Refused requests in 5 minutes that raise the alarm: a few stray scans stay under it, a wrong secret (every request refused) does not. */
export const REFUSED_REQUESTS_ALARM = 5;

/** Slack gives up after 3 s; alarm well before the Slack function's p99 gets there. */
export const SLACK_P99_ALARM_MS = 2_500;

/** The dashboard and alarms: what a user watches after `cdk deploy`. */
export class BridgeMonitoring extends Construct {
  readonly dashboardUrl: string;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: BridgeMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    // A label turns an alarm's metric into metric math; alarms take the plain metric, the dashboard the labelled one.
    const business = (name: BridgeMetricName, label?: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: props.service }, statistic: 'Sum', period, ...(label ? { label } : {}) });
    const fns = [
      { label: 'Slack', fn: props.slackFunction },
      { label: 'Botpress', fn: props.botpressFunction },
      { label: 'Delivery', fn: props.deliveryFunction },
    ];

    const topic = props.alarmEmail ? new Topic(this, 'AlarmTopic', { displayName: 'botpress-slack-hitl alarms', enforceSSL: true }) : undefined;
    if (topic) topic.addSubscription(new EmailSubscription(props.alarmEmail!));
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      // OK too: whoever was paged hears when it is over.
      if (topic) {
        created.addAlarmAction(new SnsAction(topic));
        created.addOkAction(new SnsAction(topic));
      }
      this.alarms.push(created);
    };

    for (const { label, fn } of fns) {
      alarm(`${label}FunctionErrors`, fn.metricErrors({ period }), 1, `The ${label} function crashed or timed out. Logs: the function's log group.`);
      alarm(`${label}FunctionThrottles`, fn.metricThrottles({ period }), 1, `The ${label} function was throttled; requests were refused.`);
    }
    alarm('Api5xx', props.api.metricServerError({ period, statistic: 'Sum' }), 5, 'The API answered 5xx: Botpress, Slack or DynamoDB is failing. Senders retry; see the access logs.');
    // What Slack waits for: API Gateway's wait on the function, its init included (a cold start), which Lambda's
    // Duration leaves out. Per route, from the stage's detailed metrics; the slower of Slack's two routes.
    const slackRoutes = Object.fromEntries(
      ROUTES['slack-events'].map((route, index) => [
        `route${index}`,
        new Metric({
          namespace: 'AWS/ApiGateway',
          metricName: 'IntegrationLatency',
          dimensionsMap: { ApiId: props.api.apiId, Stage: props.stage.stageName, Resource: route, Method: 'POST' },
          statistic: 'p99',
          period: Duration.minutes(1),
        }),
      ]),
    );
    alarm(
      'SlackLatencyP99',
      new MathExpression({ expression: `MAX([${Object.keys(slackRoutes).join(', ')}])`, usingMetrics: slackRoutes, period: Duration.minutes(1), label: 'Slack routes, integration latency p99' }),
      SLACK_P99_ALARM_MS,
      'What Slack waits for (the API’s wait on the Slack function, cold starts included) is close to the 3 seconds after which Slack retries or shows an error.',
      3,
    );
    alarm(
      'DeliveryFailures',
      business(BridgeMetric.DeliveryFailures),
      1,
      'The bridge gave up on a delivery (a reply, a Claim/Resolve, a customer message): the thread or the customer was told, and the message is in the dead-letter queue. Logs: "delivery given up".',
    );
    alarm(
      'RequestsRefused',
      business(BridgeMetric.RequestsRefused),
      REFUSED_REQUESTS_ALARM,
      'Requests were refused for their signature or token: a secret likely no longer matches the sender\'s (the Slack signing secret, the bridge API token), and agents\' replies or the bot\'s messages stop. Logs: "request rejected", its likelyCause says what to check.',
    );
    alarm('SlackRefusals', business(BridgeMetric.SlackRefusals), 1, 'Slack refused a call for a reason a person must fix (the app not in the channel, a revoked token). Logs: "fix".');
    alarm(
      'DeadLetters',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
      'Deliveries wait in the dead-letter queue. Fix the cause (the log says it), then redrive them from the SQS console.',
    );
    alarm(
      'ReminderDeadLetters',
      props.reminderDeadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
      'Reminders of unclaimed handoffs could not be handed on (the delivery queue refused them): nobody was reminded. Logs: "could not hand a reminder on".',
    );
    alarm(
      'DeliveryBacklog',
      props.deliveries.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      DELIVERY_BACKLOG_ALARM_SECONDS,
      'Deliveries are waiting: Botpress or Slack is failing or slow, and replies reach customers late. Logs: "delivery failed; will retry".',
      3,
    );

    // The service levels, per handoff, over every channel (the service dimension alone); per channel on the dashboard below.
    const serviceLevel = (name: string, statistic: string, label?: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: props.service }, statistic, period: Duration.minutes(15), ...(label ? { label } : {}) });
    alarm(
      'TimeToClaimP90',
      serviceLevel(ServiceLevelMetric.TimeToClaim, 'p90'),
      props.timeToClaimAlarmMinutes * 60_000,
      `Customers wait too long for an agent: the time to claim's p90 over 15 minutes is over ${props.timeToClaimAlarmMinutes} min. The dashboard's time-to-claim graph shows which channel.`,
    );

    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${props.service}-${Aws.REGION}`, defaultInterval: Duration.hours(6) });
    dashboard.addWidgets(
      new TextWidget({
        markdown: '# botpress-slack-hitl\nSlack ⇄ Botpress handoffs. Alarms: errors, throttles, 5xx, Slack p99 near 3 s, deliveries given up or backing up, Slack refusals.',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          props.api.metricCount({ period, statistic: 'Sum', label: 'Requests' }),
          props.api.metricClientError({ period, statistic: 'Sum', label: '4xx' }),
          props.api.metricServerError({ period, statistic: 'Sum', label: '5xx' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: [props.api.metricLatency({ period, statistic: 'p50', label: 'p50' }), props.api.metricLatency({ period, statistic: 'p99', label: 'p99' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration (ms)',
        left: fns.flatMap(({ label, fn }) => [
          fn.metricDuration({ period, statistic: 'p50', label: `${label} p50` }),
          fn.metricDuration({ period, statistic: 'p99', label: `${label} p99` }),
        ]),
        leftAnnotations: [{ value: 3_000, label: 'Slack limit' }],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors and throttles',
        left: fns.flatMap(({ label, fn }) => [
          fn.metricErrors({ period, label: `${label} errors` }),
          fn.metricThrottles({ period, label: `${label} throttles` }),
        ]),
        width: 8,
      }),
      new GraphWidget({
        title: 'Handoffs',
        left: [
          business(BridgeMetric.HandoffsOpened, 'Opened'),
          business(BridgeMetric.HandoffsClaimed, 'Claimed'),
          business(BridgeMetric.HandoffsReleased, 'Released'),
          business(BridgeMetric.HandoffsTakenOver, 'Taken over'),
          business(BridgeMetric.HandoffsResolved, 'Resolved'),
          business(BridgeMetric.HandoffsEnded, 'Ended by the bot'),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Messages',
        left: [
          business(BridgeMetric.AgentRepliesQueued, 'Agent replies queued'),
          business(BridgeMetric.AgentRepliesDelivered, 'Agent replies delivered'),
          business(BridgeMetric.CustomerMessagesPosted, 'Customer messages posted'),
        ],
        right: [
          business(BridgeMetric.DeliveryRetries, 'Delivery retries'),
          business(BridgeMetric.LateDeliveries, 'Late (agent told)'),
          business(BridgeMetric.DeliveryFailures, 'Given up'),
          business(BridgeMetric.SlackRefusals, 'Slack refusals'),
        ],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Delivery queue',
        left: [
          props.deliveries.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'Waiting' }),
          props.deliveries.metricApproximateNumberOfMessagesNotVisible({ period, statistic: 'Maximum', label: 'In flight or delayed' }),
          props.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'Dead letters' }),
        ],
        right: [props.deliveries.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: 'Oldest (s)' })],
        width: 12,
      }),
      new GraphWidget({
        title: 'Handoffs queued for Slack',
        left: [business(BridgeMetric.HandoffsQueued, 'Cards Slack could not take at once')],
        width: 12,
      }),
    );
    const perChannel = (name: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},service,${CHANNEL_DIMENSION}} MetricName="${name}" service="${props.service}"', 'p90', 900)`,
        label: `${name} p90 by channel`,
        period: Duration.minutes(15),
      });
    dashboard.addWidgets(
      ...[
        [ServiceLevelMetric.TimeToClaim, 'Time to claim'],
        [ServiceLevelMetric.TimeToFirstReply, 'Time to first reply'],
        [ServiceLevelMetric.TimeToResolve, 'Time to resolve'],
      ].map(
        ([name, title]) =>
          new GraphWidget({
            title: `${title} (ms, p50 and p90)`,
            left: [serviceLevel(name!, 'p50', 'p50'), serviceLevel(name!, 'p90', 'p90')],
            right: [perChannel(name!)],
            ...(name === ServiceLevelMetric.TimeToClaim ? { leftAnnotations: [{ value: props.timeToClaimAlarmMinutes * 60_000, label: 'Alarm (p90)' }] } : {}),
            width: 8,
          }),
      ),
    );
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboard.dashboardName}`;
  }
}

import path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, ApplicationLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../shared/platform/metric-names';
import { GENERATED_SECRET, SECRET_NAMES, settingsEnvironment } from '../shared/platform/settings';
import { BUNDLING, DELIVERY_QUEUE, FUNCTION_SIZING, REMINDER_QUEUE, HTTP_FUNCTIONS, LAMBDA_FUNCTIONS, LAZY_EXTERNALS, PROJECT_ROOT, type LambdaFunctionName } from './bundling';
import { BridgeMonitoring } from './monitoring';
import { FILE_ROUTE, ROUTES } from './routes';
import { OPEN_HANDOFFS } from '../shared/aws/handoff-store';
import { deliveryRetries } from '../shared/aws/delivery-retries';

export interface BridgeStackProps extends StackProps {
  /** Slack channel id (C… or G…) that receives handoff cards. */
  readonly supportChannelId: string;
  /** Where alarms are e-mailed; no topic is created without it. */
  readonly alarmEmail?: string | undefined;
  readonly mappingTtlHours: number;
  /** How long a delivery is retried before the bridge gives up on it. */
  readonly deliveryGiveUpMinutes: number;
  /** How long a link to an agent's file works; the bucket keeps the file one day longer. */
  readonly fileLinkDays: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** X-Ray tracing of the functions (`-c tracing=true`): off by default, as it adds to every cold start (bench/README.md). */
  readonly tracing: boolean;
  /** HANDOFF_REMINDER_MINUTES: the interval of reminders for an unclaimed handoff; 0 for none. */
  readonly handoffReminderMinutes: number;
  /** SLACK_QUEUE_CHANNELS, as checked by queueChannelsFrom; empty: no queue has a channel of its own. */
  readonly queueChannels: string;
  /** SLACK_ESCALATION_MENTION, as checked by escalationMentionFrom. */
  readonly escalationMention?: string | undefined;
  /** The time to claim's p90 (minutes) that raises an alarm. */
  readonly timeToClaimAlarmMinutes: number;
  /** What starts an internal note (INTERNAL_NOTE_PREFIXES), as checked by notePrefixesFrom. */
  readonly internalNotePrefixes: readonly string[];
}

/** The stack's name unless `-c stackName=…` gives another. */
export const DEFAULT_STACK_NAME = 'BotpressSlackHitl';

/**
 * The metrics' `service` dimension and the dashboard's name, one per stack:
 * two stacks in one account and region (production, staging) would otherwise
 * share a dashboard and fire each other's alarms. The default stack keeps
 * the name it always had, and with it its metrics' history.
 */
export const serviceNameOf = (stackName: string): string => (stackName === DEFAULT_STACK_NAME ? METRICS_SERVICE : `${METRICS_SERVICE}-${stackName}`);

/** The secret's keys; CDK generates the bridge API token, the user sets the rest after deploy. */
export const SECRET_TEMPLATE = Object.fromEntries(SECRET_NAMES.filter((name) => name !== GENERATED_SECRET).map((name) => [name, '']));

export class BridgeStack extends Stack {
  constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);

    const table = new TableV2(this, 'ThreadMappings', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Live conversations must survive a mistaken `cdk destroy`.
      removalPolicy: RemovalPolicy.RETAIN,
      // The queue view's sparse index: open handoffs only, oldest first (shared/aws/handoff-store.ts).
      globalSecondaryIndexes: [
        {
          indexName: OPEN_HANDOFFS.indexName,
          partitionKey: { name: OPEN_HANDOFFS.partitionKey, type: AttributeType.STRING },
          sortKey: { name: OPEN_HANDOFFS.sortKey, type: AttributeType.NUMBER },
        },
      ],
    });

    const secret = new Secret(this, 'BridgeSecret', {
      description: 'botpress-slack-hitl: Slack signing secret and bot token, Botpress webhook URL and secret, bridge API token',
      generateSecretString: {
        secretStringTemplate: JSON.stringify(SECRET_TEMPLATE),
        generateStringKey: GENERATED_SECRET,
        passwordLength: 48,
        excludePunctuation: true,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Four of the six values are issued by Slack and Botpress and rotated there; the bridge API token (generated here) and the Botpress signing secret (chosen by the user) are rotated by writing new values with put-secret-value (README, rotating secrets). The functions re-read the secret every 5 minutes.',
    });

    // The key that signs links to agents' files: a secret of its own, generated here and never set by hand, so that
    // rotating the bridge API token (or any other value) ends no link a customer holds.
    const fileLinkSecret = new Secret(this, 'FileLinkKey', {
      description: 'botpress-slack-hitl: signs the links to agents’ files (generated; never set by hand)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(fileLinkSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Only the bridge reads it, to sign links that live fileLinkDays; a new value (put-secret-value) ends every link sent, which is the one reason to change it (README, rotating secrets).',
    });

    const deadLetters = new Queue(this, 'DeadLetters', {
      fifo: true,
      retentionPeriod: Duration.seconds(DELIVERY_QUEUE.deadLetterRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the dead-letter queue; an alarm fires on its first message.' });
    const deliveries = new Queue(this, 'Deliveries', {
      fifo: true,
      visibilityTimeout: Duration.seconds(DELIVERY_QUEUE.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(DELIVERY_QUEUE.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: deliveryRetries(props.deliveryGiveUpMinutes * 60_000).maxReceiveCount },
    });
    // Reminders wait out their delay here (a standard queue: per-message DelaySeconds), then the delivery function hands them on.
    const reminderDeadLetters = new Queue(this, 'ReminderDeadLetters', {
      retentionPeriod: Duration.seconds(REMINDER_QUEUE.deadLetterRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(reminderDeadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the reminders’ dead-letter queue; an alarm fires on its first message.' });
    const reminders = new Queue(this, 'Reminders', {
      visibilityTimeout: Duration.seconds(REMINDER_QUEUE.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(REMINDER_QUEUE.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: reminderDeadLetters, maxReceiveCount: REMINDER_QUEUE.maxReceiveCount },
    });

    // Agents' files for customers' links: private, encrypted, TLS only, gone a day after the last link to them ends.
    const files = new Bucket(this, 'AgentFiles', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.fileLinkDays + 1), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Copies kept for a week at most, of files whose originals stay in Slack.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(files).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Short-lived copies of files that stay in Slack; every read starts at the bridge’s link (the API access log records each request, the function log each refused link) and ends at a 5-minute presigned URL.',
    });

    const functions = {} as Record<LambdaFunctionName, NodejsFunction>;
    for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaFunctionName[]) {
      functions[name] = this.bridgeFunction(
        name,
        ApplicationLogLevel[props.logLevel],
        settingsEnvironment({
          tableName: table.tableName,
          secretId: secret.secretArn,
          supportChannelId: props.supportChannelId,
          mappingTtlHours: String(props.mappingTtlHours),
          deliveryQueueUrl: deliveries.queueUrl,
          reminderQueueUrl: reminders.queueUrl,
          handoffReminderMinutes: String(props.handoffReminderMinutes),
          ...(props.escalationMention ? { escalationMention: props.escalationMention } : {}),
          ...(props.queueChannels ? { queueChannels: props.queueChannels } : {}),
          deliveryGiveUpMinutes: String(props.deliveryGiveUpMinutes),
          fileBucket: files.bucketName,
          fileLinkDays: String(props.fileLinkDays),
          internalNotePrefixes: props.internalNotePrefixes.join(','),
          ...(name === 'delivery' ? { deadLetterQueueUrl: deadLetters.queueUrl } : {}),
          ...(name === 'slack-events' ? {} : { fileLinkSecretId: fileLinkSecret.secretArn }),
          serviceName: serviceNameOf(this.stackName),
          metricsNamespace: METRICS_NAMESPACE,
          logLevel: props.logLevel,
          tracing: String(props.tracing),
        }),
        props.tracing,
      );
      deliveries.grantSendMessages(functions[name]);
      // Each may set a reminder: the handoff opening (Botpress), a release (Slack), the next one (delivery).
      reminders.grantSendMessages(functions[name]);
      // Least privilege: the four item operations the code uses, on this table only; read on this secret only.
      functions[name].addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [table.tableArn],
        }),
      );
      functions[name].addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: name === 'slack-events' ? [secret.secretArn] : [secret.secretArn, fileLinkSecret.secretArn] }),
      );
    }
    // The delivery function reads the queue view from the open handoffs' index, and no other.
    functions.delivery.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${OPEN_HANDOFFS.indexName}`] }));
    // The delivery function keeps agents' files; the Botpress-side one signs the links' redirects (a presigned GET).
    const agentFiles = files.arnForObjects('agent-files/*');
    functions.delivery.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [agentFiles] }));
    functions['botpress-callbacks'].addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [agentFiles] }));
    const bucketId = this.resolve((files.node.defaultChild as CfnBucket).logicalId) as string;
    for (const name of ['delivery', 'botpress-callbacks'] as const) {
      Validations.of(functions[name].role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/agent-files/*]`,
        reason: "One object operation on the bridge's own file prefix; each object is named by a Slack file id that no policy can list in advance.",
      });
    }
    // Batches of up to ten, reported per message; each failed one is made visible again after its own delay.
    functions.delivery.addEventSource(new SqsEventSource(deliveries, { batchSize: DELIVERY_QUEUE.batchSize, reportBatchItemFailures: true, maxConcurrency: DELIVERY_QUEUE.maxConcurrency }));
    functions.delivery.addToRolePolicy(new PolicyStatement({ actions: ['sqs:ChangeMessageVisibility'], resources: [deliveries.queueArn] }));
    deadLetters.grantSendMessages(functions.delivery);
    functions.delivery.addEventSource(new SqsEventSource(reminders, { batchSize: REMINDER_QUEUE.batchSize, reportBatchItemFailures: true, maxConcurrency: REMINDER_QUEUE.maxConcurrency }));

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const api = new HttpApi(this, 'Api', { description: 'botpress-slack-hitl: Slack and Botpress callbacks', createDefaultStage: false });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      // Far above a support team's traffic, low enough to cap the cost of a flood.
      throttle: { rateLimit: 50, burstLimit: 100 },
      // Per-route metrics: the Slack-latency alarm reads Slack's routes' integration latency (monitoring.ts).
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            // The function's own request id, as its log lines carry it (function_request_id): from this line to those.
            integrationRequestId: '$context.integration.requestId',
            integrationStatus: '$context.integration.status',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            time: '$context.requestTime',
          }),
        ),
      },
    });
    for (const name of HTTP_FUNCTIONS) {
      const integration = new HttpLambdaIntegration(`${name}-integration`, functions[name]);
      for (const routePath of ROUTES[name]) {
        for (const route of api.addRoutes({ path: routePath, methods: [HttpMethod.POST], integration })) {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: name === 'slack-events'
              ? 'Authenticated inside the function by the Slack HMAC signature over the raw body; an API Gateway authorizer cannot see the body.'
              : 'Authenticated inside the function by the bridge API token, compared in constant time against the value in Secrets Manager.',
          });
        }
      }
    }

    const fileIntegration = new HttpLambdaIntegration('file-links-integration', functions[FILE_ROUTE.function]);
    for (const route of api.addRoutes({ path: FILE_ROUTE.apiGatewayPath, methods: [HttpMethod.GET], integration: fileIntegration })) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: "Opened by a customer's browser: each link carries its own HMAC signature and expiry, checked in constant time inside the function.",
      });
    }
    // The links start with the API's own URL.
    for (const [name, value] of Object.entries(settingsEnvironment({ publicUrl: api.apiEndpoint }))) functions.delivery.addEnvironment(name, value);

    const monitoring = new BridgeMonitoring(this, 'Monitoring', {
      service: serviceNameOf(this.stackName),
      api,
      stage,
      slackFunction: functions['slack-events'],
      botpressFunction: functions['botpress-callbacks'],
      deliveryFunction: functions.delivery,
      deliveries,
      deadLetters,
      reminderDeadLetters,
      alarmEmail: props.alarmEmail,
      timeToClaimAlarmMinutes: props.timeToClaimAlarmMinutes,
    });

    const base = api.apiEndpoint;
    new CfnOutput(this, 'SlackEventsUrl', { value: `${base}/slack/events`, description: 'Slack app > Event Subscriptions > Request URL' });
    new CfnOutput(this, 'SlackInteractivityUrl', { value: `${base}/slack/interactions`, description: 'Slack app > Interactivity & Shortcuts > Request URL' });
    new CfnOutput(this, 'BotpressBaseUrl', { value: `${base}/botpress`, description: 'Botpress configuration variable bridgeUrl' });
    new CfnOutput(this, 'SecretName', { value: secret.secretName, description: 'Set the Slack and Botpress values here (README: Deploy)' });
    new CfnOutput(this, 'DashboardUrl', { value: monitoring.dashboardUrl, description: 'CloudWatch dashboard' });
    // `cdk destroy` deletes the bucket only once it is empty (README: Removing the stack).
    // For `npm run redrive` (infra/redrive.ts) and the AWS CLI: where given-up deliveries wait, and where they go back to.
    for (const [id, queue] of Object.entries({ Deliveries: deliveries, DeadLetters: deadLetters, Reminders: reminders, ReminderDeadLetters: reminderDeadLetters })) {
      new CfnOutput(this, `${id}Arn`, { value: queue.queueArn });
      new CfnOutput(this, `${id}Url`, { value: queue.queueUrl });
    }
    new CfnOutput(this, 'FileBucketName', { value: files.bucketName, description: 'Agents’ file copies: empty it before cdk destroy' });
  }

  private bridgeFunction(name: LambdaFunctionName, logLevel: ApplicationLogLevel, environment: Record<string, string>, tracing: boolean): NodejsFunction {
    const logGroup = new LogGroup(this, `${name}-logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // A role of its own, instead of AWSLambdaBasicExecutionRole, so that it can write to its own log group only.
    const role = new Role(this, `${name}-role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const fn = new NodejsFunction(this, name, {
      entry: path.join(PROJECT_ROOT, LAMBDA_FUNCTIONS[name]),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      handler: 'handler',
      // The runtime BUNDLING.target names; the deployed-bundles test and the bench run the bundles on it.
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_SIZING[name].memoryMb,
      timeout: Duration.seconds(FUNCTION_SIZING[name].timeoutSeconds),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Lambda filters JSON logs by their level, and takes a line without one, such as the metrics' EMF lines that the
      // alarms and the dashboard read, for INFO: at WARN or ERROR they would be dropped, and the alarms go quiet. So
      // Lambda lets INFO through (DEBUG when asked), and Powertools keeps the bridge's own lines to POWERTOOLS_LOG_LEVEL.
      applicationLogLevelV2: logLevel === ApplicationLogLevel.DEBUG ? ApplicationLogLevel.DEBUG : ApplicationLogLevel.INFO,
      environment,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      description: `botpress-slack-hitl ${name}`,
      bundling: {
        // The same choices as `npm run build` (infra/bundling.ts), with the local esbuild: no Docker.
        forceDockerBundling: false,
        target: BUNDLING.target,
        format: OutputFormat.ESM,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourcemap,
        sourcesContent: BUNDLING.sourcesContent,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner,
        // Bundled apart and loaded on first use (infra/bundling.ts), by the same code as `npm run build`.
        externalModules: [...LAZY_EXTERNALS],
        esbuildArgs: {
          '--legal-comments': BUNDLING.legalComments,
          ...(BUNDLING.keepNames ? { '--keep-names': true } : {}),
          ...Object.fromEntries(Object.entries(BUNDLING.alias).map(([from, to]) => [`--alias:${from}`, to])),
        },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [`cd "${inputDir}" && npx tsx infra/build.ts --lazy-modules-only ${name} "${outputDir}"`],
        },
      },
    });
    if (tracing) {
      Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray’s PutTraceSegments and PutTelemetryRecords, which take no resource (tracing is on: -c tracing=true).' });
    }
    return fn;
  }
}

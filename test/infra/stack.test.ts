import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SECRET_NAMES, SECRETS, SETTING_KEYS, SETTINGS } from '../../shared/platform/settings';
import { PROJECT_ROOT } from '../../infra/bundling';
import { LAMBDA_NODE_MAJOR } from '../support/lambda-node';
import { buildApp } from '../../infra/app';
import { ROUTES } from '../../infra/routes';
import { deliveryRetries } from '../../shared/aws/delivery-retries';
import { REDRIVES } from '../../infra/redrive';

// Canaries: if any local secret leaked into the template, these would show up in it.
const CANARIES = {
  SLACK_SIGNING_SECRET: 'canary-signing-secret-7f3a',
  SLACK_BOT_TOKEN: 'xoxb-canary-bot-token-7f3a',
  BOTPRESS_WEBHOOK_URL: 'https://canary.botpress.example/7f3a',
  BOTPRESS_WEBHOOK_SECRET: 'canary-bp-secret-7f3a',
  BOTPRESS_SIGNING_SECRET: 'canary-bp-signing-7f3a',
  BRIDGE_API_TOKEN: 'canary-bridge-token-7f3a',
};

const newApp = (context: Record<string, unknown> = {}) =>
  new App({ outdir: mkdtempSync(path.join(tmpdir(), 'cdk-test-')), context: { supportChannelId: 'C0EXAMPLE01', ...context } });

let template: Template;
let templateJson: string;
let validationReport: { pluginReports: unknown[] };
let assemblyDir: string;

beforeAll(() => {
  for (const [name, value] of Object.entries(CANARIES)) vi.stubEnv(name, value);
  const { app, stack } = buildApp(newApp({ alarmEmail: 'oncall@example.com', mappingTtlHours: 48, logLevel: 'debug', queueChannels: 'Billing=C0BILLING1, tech=C0TECH0001', deliveryGiveUpMinutes: 60, tracing: 'true' }));
  // Synthesizing runs cdk-nag; it throws on any unacknowledged finding.
  const assembly = app.synth();
  assemblyDir = assembly.directory;
  template = Template.fromStack(stack);
  templateJson = JSON.stringify(template.toJSON());
  validationReport = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
  vi.unstubAllEnvs();
}, 120_000);

describe('BridgeStack', () => {
  it('indexes the open handoffs alone (a sparse index, oldest first), for the queue view', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'open-handoffs',
          KeySchema: [
            { AttributeName: 'openQueue', KeyType: 'HASH' },
            { AttributeName: 'openedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('keeps thread mappings in an on-demand table with TTL on expiresAt, PITR, retained on delete', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      }),
    });
  });

  it('generates the bridge API token into one JSON secret, and holds no secret value itself', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        GenerateStringKey: 'bridgeApiToken',
        SecretStringTemplate: JSON.stringify({ slackSigningSecret: '', slackBotToken: '', botpressWebhookUrl: '', botpressWebhookSecret: '', botpressSigningSecret: '' }),
        PasswordLength: 48,
        ExcludePunctuation: true,
      },
    });
    expect(templateJson).not.toMatch(/"SecretString"/);
    for (const canary of Object.values(CANARIES)) expect(templateJson).not.toContain(canary);
    expect(templateJson).not.toMatch(/xox[abp]-/);
  });

  it('runs the three functions on Node.js 24 arm64 with JSON logs, and passes the secret by ARN, never by value', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(3);
    for (const fn of Object.values(functions) as { Properties: Record<string, unknown> }[]) {
      expect(fn.Properties).toMatchObject({
        Runtime: `nodejs${LAMBDA_NODE_MAJOR}.x`,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG' },
      });
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        TABLE_NAME: { Ref: expect.any(String) as string },
        BRIDGE_SECRET_ARN: { Ref: expect.any(String) as string },
        SLACK_SUPPORT_CHANNEL_ID: 'C0EXAMPLE01',
        MAPPING_TTL_HOURS: '48',
        DELIVERY_GIVE_UP_MINUTES: '60',
        INTERNAL_NOTE_PREFIXES: 'note:,;;',
        SLACK_QUEUE_CHANNELS: 'billing=C0BILLING1,tech=C0TECH0001',
        DELIVERY_QUEUE_URL: { Ref: expect.stringMatching(/Deliveries/) as string },
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        POWERTOOLS_TRACE_ENABLED: 'true',
      });
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      for (const { env } of Object.values(SECRETS)) expect(variables).not.toHaveProperty(env);
      // Every variable the stack sets is a declared setting the functions read in AWS.
      const declared: string[] = SETTING_KEYS.filter((key) => SETTINGS[key].where !== 'local').map((key) => SETTINGS[key].env);
      expect(Object.keys(variables).filter((name) => !declared.includes(name))).toEqual([]);
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'botpress-slack-hitl slack-events', MemorySize: 1024, Timeout: 6 });
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'botpress-slack-hitl botpress-callbacks', MemorySize: 512, Timeout: 10 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'botpress-slack-hitl delivery',
      MemorySize: 512,
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ DEAD_LETTER_QUEUE_URL: { Ref: Match.stringLikeRegexp('DeadLetters') } }) },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('packages each function with @slack/web-api in a file of its own, loaded on first use, not parsed at cold start', async () => {
    const codeAssets = readdirSync(assemblyDir).filter((name) => name.startsWith('asset.') && existsSync(path.join(assemblyDir, name, 'index.mjs')));
    expect(codeAssets).toHaveLength(3);
    // The functions that call Slack load its client on first use; the Slack events function only queues, and has none of it.
    const callingSlack = codeAssets.filter((asset) => /import\("@slack\/web-api"\)/.test(readFileSync(path.join(assemblyDir, asset, 'index.mjs'), 'utf8')));
    expect(callingSlack).toHaveLength(2);
    // S3 goes with the functions that handle files, beside them and loaded on first use too.
    const withS3 = codeAssets.filter((asset) => existsSync(path.join(assemblyDir, asset, 'node_modules', '@aws-sdk', 'client-s3', 'index.mjs')));
    expect(withS3).toHaveLength(2);
    for (const asset of codeAssets) {
      const lazy = path.join(assemblyDir, asset, 'node_modules', '@slack', 'web-api');
      expect(JSON.parse(readFileSync(path.join(lazy, 'package.json'), 'utf8'))).toMatchObject({ name: '@slack/web-api', exports: { '.': './index.mjs' } });
      // The Tracer too, its middleware a file of its own beside it: tracing costs nothing when it is off.
      const tracer = path.join(assemblyDir, asset, 'node_modules', '@aws-lambda-powertools', 'tracer');
      expect(JSON.parse(readFileSync(path.join(tracer, 'package.json'), 'utf8'))).toMatchObject({ exports: { '.': './index.mjs', './middleware': './middleware.mjs' } });
      expect(typeof ((await import(pathToFileURL(path.join(tracer, 'middleware.mjs')).href)) as { captureLambdaHandler?: unknown }).captureLambdaHandler).toBe('function');
      expect(readFileSync(path.join(lazy, 'index.mjs'), 'utf8')).toContain('https://slack.com/api/');
      const loaded = (await import(pathToFileURL(path.join(lazy, 'index.mjs')).href)) as { WebClient?: unknown; LogLevel?: { ERROR?: string } };
      expect(typeof loaded.WebClient).toBe('function');
      expect(loaded.LogLevel?.ERROR).toBe('error');
      const main = readFileSync(path.join(assemblyDir, asset, 'index.mjs'), 'utf8');
      expect(main).not.toContain('https://slack.com/api/');
      expect(main.includes('AWSXRayDaemon') || main.includes('aws-xray-sdk')).toBe(false);
      // middy's import of node:stream/web is bundled as the lazy shim (infra/shims/stream-web.ts).
      expect(main).not.toContain('node:stream/web');
      // …and the SDK's credential chain as the environment link alone (infra/shims/aws-credentials.ts).
      expect(main.includes('credential-provider-ini')).toBe(false);
      expect(main.includes('@aws-sdk/credential-provider-env')).toBe(true);
      // …and the SDK's event-stream code, which no operation of these clients uses, as a stub (infra/shims/smithy-event-streams.ts).
      expect(main.includes(':event-type')).toBe(false);
      expect(main.includes('event-streams is not bundled')).toBe(true);
    }
  });

  it('grants least privilege: item operations on this table, read on this secret, logs to its own group, no * action', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements.length).toBeGreaterThan(0);
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))[0]!;
    const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const secretId = secretIds.find((id) => id.startsWith('BridgeSecret'))!;
    const linkKeyId = secretIds.find((id) => id.startsWith('FileLinkKey'))!;
    const secretGrants: unknown[] = [];
    const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));
    const deliveriesId = queueIds.find((id) => id.startsWith('Deliveries'))!;
    const deadLettersId = queueIds.find((id) => id.startsWith('DeadLetters'))!;
    const remindersId = queueIds.find((id) => id.startsWith('Reminders'))!;
    const bucketId = Object.keys(template.findResources('AWS::S3::Bucket'))[0]!;
    const s3Grants: string[] = [];
    for (const statement of statements) {
      const actions = ([] as string[]).concat(statement.Action);
      for (const action of actions) expect(action).not.toMatch(/\*/);
      const service = actions[0]!.split(':')[0];
      if (service === 'dynamodb' && actions[0] === 'dynamodb:Query') {
        // The queue view reads the open handoffs' index, and nothing else is queried, let alone scanned.
        expect(actions).toEqual(['dynamodb:Query']);
        expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/open-handoffs']] });
      } else if (service === 'dynamodb') {
        expect(actions.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      } else if (service === 'secretsmanager') {
        expect(actions).toEqual(['secretsmanager:GetSecretValue']);
        secretGrants.push(statement.Resource);
      } else if (service === 'sqs') {
        // Sending to the delivery queue and setting reminders (every function), consuming both and delaying deliveries (the delivery
        // function), sending to the deliveries' dead letters. Nobody sends to the reminders' dead letters but SQS.
        const queue = (statement.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        expect([deliveriesId, deadLettersId, remindersId]).toContain(queue);
        for (const action of actions) {
          expect(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']).toContain(action);
        }
        if (queue === deadLettersId) expect(actions.filter((action) => action !== 'sqs:GetQueueAttributes' && action !== 'sqs:GetQueueUrl')).toEqual(['sqs:SendMessage']);
      } else if (service === 's3') {
        // One object operation each, on the file prefix alone: the delivery function puts, the Botpress-side one gets (for the redirect).
        expect(actions).toHaveLength(1);
        s3Grants.push(actions[0]!);
        expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/agent-files/*']] });
      } else if (service === 'xray') {
        // Tracing is on in this stack: X-Ray's two writes, which take no resource.
        expect(actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        expect(statement.Resource).toBe('*');
      } else {
        expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/logs/) as string, 'Arn'] });
      }
    }
    expect(s3Grants.sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    // The bridge's secret for each; the file link key for the two that sign and check links, not the Slack function.
    expect(secretGrants).toEqual(
      expect.arrayContaining([{ Ref: secretId }, [{ Ref: secretId }, { Ref: linkKeyId }], [{ Ref: secretId }, { Ref: linkKeyId }]]),
    );
    expect(secretGrants).toHaveLength(3);
    // No managed policies (AWSLambdaBasicExecutionRole would allow writing to any log group).
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect((role as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('routes the five POST routes and the file links through one HTTP API, throttled, with access logs', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => (route as { Properties: { RouteKey: string } }).Properties.RouteKey);
    expect(routeKeys.sort()).toEqual([...Object.values(ROUTES).flat().map((route) => `POST ${route}`), 'GET /files/{proxy+}'].sort());
    expect(routeKeys).toEqual(expect.arrayContaining(['POST /slack/events', 'POST /slack/interactions', 'POST /botpress/handoff', 'POST /botpress/message', 'POST /botpress/end']));
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
    });
    // An access log line leads to the function's log lines: API Gateway's request id (their correlation_id) and the function's (their function_request_id).
    const format = JSON.parse((Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { AccessLogSettings: { Format: string } } }).Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', integrationRequestId: '$context.integration.requestId', integrationLatencyMs: '$context.integrationLatency' });
  });

  it('delivers through a FIFO queue into the delivery function, with a FIFO dead-letter queue, both encrypted and TLS-only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 4 * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetters'), 'Arn'] }, maxReceiveCount: deliveryRetries(60 * 60_000).maxReceiveCount },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 4);
    expect(templateJson).toContain('aws:SecureTransport');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Deliveries'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // A burst of deliveries leaves the account's concurrency to the Slack function.
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('holds reminders in a standard delay queue (encrypted, TLS-only, with a dead-letter queue) that the delivery function consumes; every function may set one', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      MessageRetentionPeriod: 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReminderDeadLetters'), 'Arn'] }, maxReceiveCount: 10 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reminders'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^delivery') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => (fn as { Properties: { Handler?: string } }).Properties.Handler === 'index.handler');
    for (const fn of functions) {
      expect((fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables).toMatchObject({
        REMINDER_QUEUE_URL: { Ref: expect.stringMatching(/^Reminders/) as string },
        HANDOFF_REMINDER_MINUTES: '5',
      });
    }
  });

  it('alarms on errors, throttles, API 5xx, Slack p99 near 3 s, deliveries given up or backing up, and Slack refusals, notifying the e-mail when one fires and when it is over', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => (alarm as { Properties: Record<string, unknown> }).Properties);
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);
    expect(byMetric('Errors')).toHaveLength(3);
    expect(byMetric('Throttles')).toHaveLength(3);
    expect(byMetric('5xx')).toHaveLength(1);
    // What Slack waits for: API Gateway's integration latency on Slack's routes, cold starts included; not Lambda's Duration.
    expect(byMetric('Duration')).toEqual([]);
    const slackLatency = alarms.filter((alarm) => (alarm.Metrics as { Expression?: string }[] | undefined)?.some((metric) => metric.Expression?.startsWith('MAX(')));
    expect(slackLatency).toEqual([expect.objectContaining({ Threshold: 2500, EvaluationPeriods: 3 })]);
    const routes = (slackLatency[0]!.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string } }[]).flatMap((metric) => (metric.MetricStat ? [metric.MetricStat] : []));
    expect(routes.map((stat) => [stat.Metric.MetricName, stat.Stat, stat.Metric.Dimensions.find((dimension) => dimension.Name === 'Resource')?.Value])).toEqual([
      ['IntegrationLatency', 'p99', '/slack/events'],
      ['IntegrationLatency', 'p99', '/slack/interactions'],
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: Match.objectLike({ DetailedMetricsEnabled: true }) });
    expect(byMetric('DeliveryFailures')).toEqual([expect.objectContaining({ Namespace: 'BotpressSlackHitl', Threshold: 1 })]);
    expect(byMetric('SlackRefusals')).toEqual([expect.objectContaining({ Namespace: 'BotpressSlackHitl', Threshold: 1 })]);
    // A wrong secret: every Slack or Botpress request refused, within 5 minutes.
    expect(byMetric('RequestsRefused')).toEqual([expect.objectContaining({ Namespace: 'BotpressSlackHitl', Threshold: 5, Period: 300, EvaluationPeriods: 1, Statistic: 'Sum' })]);
    // The deliveries' dead letters, and the reminders'.
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toEqual([expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 1 }), expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 1 })]);
    expect(byMetric('ApproximateAgeOfOldestMessage')).toEqual([expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 120 })]);
    // Customers waiting too long for an agent: the time to claim's p90 over 15 minutes (default 15 min).
    expect(byMetric('TimeToClaim')).toEqual([
      expect.objectContaining({ Namespace: 'BotpressSlackHitl', ExtendedStatistic: 'p90', Period: 900, Threshold: 15 * 60_000, Dimensions: [{ Name: 'service', Value: 'botpress-slack-hitl' }] }),
    ]);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.any(String) as string }]);
      // And when it is over.
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('has a dashboard with the API, function and business metrics', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    for (const needle of ['API requests and errors', 'API latency', 'p99', 'Throttles', 'HandoffsOpened', 'AgentRepliesDelivered', 'DeliveryFailures', 'Delivery queue', 'LateDeliveries']) {
      expect(templateJson).toContain(needle);
    }
  });

  it('shows the service levels on the dashboard, p50 and p90, and per channel', () => {
    for (const [name, title] of [['TimeToClaim', 'Time to claim'], ['TimeToFirstReply', 'Time to first reply'], ['TimeToResolve', 'Time to resolve']]) {
      expect(templateJson).toContain(`${title} (ms, p50 and p90)`);
      expect(templateJson).toContain(`${name} p90 by channel`);
    }
    expect(templateJson.match(/SEARCH\('\{BotpressSlackHitl,service,Channel\} MetricName=/g)).toHaveLength(3);
  });

  it('outputs the URLs to paste, the secret name, the dashboard URL, the file bucket (to empty before cdk destroy) and the queues (for a redrive)', () => {
    const outputs = template.findOutputs('*');
    const queueOutputs = ['Deliveries', 'DeadLetters', 'Reminders', 'ReminderDeadLetters'].flatMap((queue) => [`${queue}Arn`, `${queue}Url`]);
    expect(Object.keys(outputs).sort()).toEqual(['BotpressBaseUrl', 'DashboardUrl', 'FileBucketName', 'SecretName', 'SlackEventsUrl', 'SlackInteractivityUrl', ...queueOutputs].sort());
    // What npm run redrive reads (infra/redrive.ts): each pair a dead-letter queue and the queue it feeds.
    for (const { from, to } of Object.values(REDRIVES)) {
      expect(outputs[from]).toMatchObject({ Value: { 'Fn::GetAtt': [expect.stringMatching(from === 'DeadLettersArn' ? /^DeadLetters/ : /^ReminderDeadLetters/) as string, 'Arn'] } });
      expect(outputs[to]).toMatchObject({ Value: { 'Fn::GetAtt': [expect.stringMatching(to === 'DeliveriesArn' ? /^Deliveries/ : /^Reminders/) as string, 'Arn'] } });
    }
    expect(outputs.FileBucketName).toMatchObject({ Value: { Ref: expect.stringMatching(/^AgentFiles/) as string } });
    expect(JSON.stringify(outputs.SlackEventsUrl)).toContain('/slack/events');
    expect(JSON.stringify(outputs.SlackInteractivityUrl)).toContain('/slack/interactions');
    expect(JSON.stringify(outputs.BotpressBaseUrl)).toContain('/botpress');
    expect(JSON.stringify(outputs.DashboardUrl)).toContain('#dashboards:name=');
  });

  it('keeps agents’ files in a private, encrypted, TLS-only bucket that forgets them a day after their links end; the delivery function knows where links start', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 8, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'botpress-slack-hitl delivery',
      Environment: { Variables: Match.objectLike({ [SETTINGS.fileBucket.env]: { Ref: Match.stringLikeRegexp('AgentFiles') }, [SETTINGS.publicUrl.env]: Match.anyValue(), [SETTINGS.fileLinkDays.env]: '7' }) },
    });
  });

  it('passes cdk-nag AwsSolutionsChecks with zero unacknowledged findings', () => {
    expect(validationReport.pluginReports).toEqual([]);
  });
});

describe("README's deploy and operations steps", () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('## Performance'));

  it('name only outputs, context keys, scripts, secret values and log lines the stack and the code have', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    const named = [...section.matchAll(/`<?([A-Z][A-Za-z]+(?:Url|Arn|Name))>?`/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((name) => !outputs.includes(name))).toEqual([]);
    // The queues a redrive moves between, by the outputs it reads.
    expect(section).toContain('--source-arn <DeadLettersArn> --destination-arn <DeliveriesArn>');

    const contextKeys = [...section.matchAll(/-c (\w+)=(?!value)/g), ...section.slice(section.indexOf('Other context keys')).split('\n')[0]!.matchAll(/`(\w+)` \(/g)].map((match) => match[1]!);
    expect(contextKeys).toEqual(expect.arrayContaining(['supportChannelId', 'alarmEmail', 'tracing', 'deliveryGiveUpMinutes']));
    const appSource = readFileSync(path.join(PROJECT_ROOT, 'infra', 'app.ts'), 'utf8');
    expect(contextKeys.filter((key) => !appSource.includes(`'${key}'`))).toEqual([]);

    const scripts = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    expect([...section.matchAll(/npm run (\w+)/g)].map((match) => match[1]!).filter((script) => !scripts.includes(script))).toEqual([]);

    // The secret's JSON as step 3 writes it: every value the functions read, and nothing else.
    const written = [...section.matchAll(/\{(slackSigningSecret:[^}]+)\}/g)][0]![1]!.split(',').map((pair) => pair.split(':')[0]!.trim());
    expect(written.sort()).toEqual([...SECRET_NAMES].sort());
    // The file link key is a secret of its own, as README says.
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret')).some((id) => id.startsWith('FileLinkKey'))).toBe(true);

    // The log lines it sends the reader to are ones the code writes.
    const sources = ['shared/platform/error-responder.ts', 'shared/aws/service-levels.ts', 'shared/domain/delivery/attempt.ts'].map((file) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8')).join('\n');
    for (const line of ['request rejected', 'configuration error', 'delivery given up', 'service level']) {
      expect(section).toContain(`\`${line}\``);
      expect(sources).toContain(`'${line}'`);
    }
  });
});

describe('the CDK app', () => {
  it("fails cdk-nag when a finding is not acknowledged (the app's checks are live)", () => {
    const { app, stack } = buildApp(newApp());
    new Topic(stack, 'UnencryptedTopicWithoutSsl');
    expect(() => app.synth()).toThrow(/SNS Topic does not require publishers to use SSL/);
    // Bundling three functions and synthesizing: 30 s on a busy 2-core machine.
  }, 90_000);

  it('keeps two stacks in one account and region apart: dashboard, metrics dimension and alarms each their own', () => {
    const { stack } = buildApp(newApp({ stackName: 'Staging' }));
    const staging = Template.fromStack(stack);
    staging.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: { 'Fn::Join': ['', ['botpress-slack-hitl-Staging-', { Ref: 'AWS::Region' }]] } });
    const variables = (Object.values(staging.findResources('AWS::Lambda::Function')) as { Properties: { Handler?: string; Environment?: { Variables: Record<string, unknown> } } }[])
      .filter((fn) => fn.Properties.Handler === 'index.handler')
      .map((fn) => fn.Properties.Environment!.Variables.POWERTOOLS_SERVICE_NAME);
    expect(variables).toEqual(['botpress-slack-hitl-Staging', 'botpress-slack-hitl-Staging', 'botpress-slack-hitl-Staging']);
    // Tracing is off unless asked for.
    for (const fn of Object.values(staging.findResources('AWS::Lambda::Function')) as { Properties: { Handler?: string; TracingConfig?: unknown; Environment?: { Variables: Record<string, unknown> } } }[]) {
      if (fn.Properties.Handler !== 'index.handler') continue;
      expect(fn.Properties.TracingConfig).toBeUndefined();
      expect(fn.Properties.Environment!.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
    const dimensions = (Object.values(staging.findResources('AWS::CloudWatch::Alarm')) as { Properties: { Dimensions?: { Name: string; Value: unknown }[] } }[]).flatMap(
      (alarm) => alarm.Properties.Dimensions?.filter((dimension) => dimension.Name === 'service') ?? [],
    );
    expect(dimensions.length).toBeGreaterThan(0);
    expect(dimensions.every((dimension) => dimension.Value === 'botpress-slack-hitl-Staging')).toBe(true);
    // The default stack keeps the names it always had.
    expect(templateJson).toContain('"botpress-slack-hitl-"');
  }, 90_000);

  it('keeps the metrics (EMF lines, which have no level) flowing at logLevel WARN or ERROR: Lambda filters at INFO, Powertools at the level asked', () => {
    const logLevel = 'WARN';
    const { stack } = buildApp(newApp({ logLevel }));
    const functions = (Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as { Properties: Record<string, unknown> }[]).filter(
      (fn) => fn.Properties.Handler === 'index.handler',
    );
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_LOG_LEVEL).toBe(logLevel);
    }
  }, 90_000);

  it.each([
    [{ supportChannelId: undefined }, /npx cdk deploy -c supportChannelId=/],
    [{ supportChannelId: 'general' }, /got "general"/],
    [{ mappingTtlHours: 'soon' }, /mappingTtlHours/],
    [{ logLevel: 'LOUD' }, /logLevel must be one of/],
    [{ deliveryGiveUpMinutes: '0' }, /deliveryGiveUpMinutes must be a positive number of minutes/],
    [{ tracing: 'yes' }, /tracing must be true or false, got "yes"/],
    [{ internalNotePrefixes: '' }, /INTERNAL_NOTE_PREFIXES must list short prefixes .*entry 1 is empty/],
    [{ timeToClaimAlarmMinutes: '0' }, /timeToClaimAlarmMinutes must be a positive number of minutes/],
    [{ handoffReminderMinutes: 'soon' }, /HANDOFF_REMINDER_MINUTES must be a number of minutes/],
    [{ escalationMention: '@support' }, /SLACK_ESCALATION_MENTION must be a user group/],
    [{ queueChannels: 'billing=C0BILLING1,tech' }, /SLACK_QUEUE_CHANNELS has a bad entry "tech"/],
    [{ internalNotePrefixes: 'note:,,;;' }, /entry 2 is empty/],
  ])('refuses bad context %o with a message that says how to fix it', (context, message) => {
    expect(() => buildApp(newApp(context))).toThrow(message);
  });
});

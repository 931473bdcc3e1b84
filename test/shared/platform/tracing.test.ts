import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTracing } from '../../../shared/platform/tracing';

/* Tracing (-c tracing=true): nothing loaded when off; on, a segment per invocation and each AWS client's calls traced. */
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('startTracing', () => {
  it('wires nothing when tracing is off', async () => {
    expect(await startTracing({ tracing: false })).toBeUndefined();
  });

  it('on, as in a traced Lambda function, gives a middleware for the invocation’s segment and traces an AWS client’s calls', async () => {
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'botpress-slack-hitl-test');
    const tracing = (await startTracing({ tracing: true }))!;
    expect(tracing.middleware.before).toEqual(expect.any(Function));
    expect(tracing.middleware.after).toEqual(expect.any(Function));
    const client = new SQSClient({ region: 'us-east-1' });
    const before = client.middlewareStack.identify();
    expect(tracing.instrument(client)).toBe(client);
    expect(client.middlewareStack.identify().filter((name) => !before.includes(name))).toContain('XRaySDKInstrumentation - build');
    client.destroy();
  });
});

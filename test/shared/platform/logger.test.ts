import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../local/lambda-context';
import { apartFromOthers, correlateRecord, correlationId, logContext, logger } from '../../../shared/platform/logger';

/* Every log line says which invocation wrote it and which request it serves; nothing of it is left for the next invocation. */
const lines: Record<string, unknown>[] = [];
beforeAll(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>));
    return true;
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});
const capture = () => logger.setLogLevel('INFO');
afterEach(() => {
  logger.setLogLevel('SILENT');
  lines.length = 0;
});

const record = (messageId: string, correlation?: string): SQSRecord =>
  ({
    messageId,
    body: '{}',
    messageAttributes: correlation ? { correlationId: { dataType: 'String', stringValue: correlation, stringListValues: [], binaryListValues: [] } } : {},
  }) as unknown as SQSRecord;

describe('logContext', () => {
  it('gives each line the Lambda request id and the request’s correlation id, and clears them when the invocation ends', async () => {
    capture();
    const seen: (string | undefined)[] = [];
    const handler = middy<{ id: string }, void>()
      .use(logContext<{ id: string }>((event) => event.id))
      .handler(() => {
        seen.push(correlationId());
        logger.info('working');
      });
    const context = lambdaContext('slack-events');
    await handler({ id: 'api-request-1' }, context);
    expect(lines).toMatchObject([{ message: 'working', correlation_id: 'api-request-1', function_request_id: context.awsRequestId, function_name: 'slack-events', cold_start: expect.any(Boolean) as boolean }]);
    expect(seen).toEqual(['api-request-1']);
    logger.info('between invocations');
    expect(lines[1]).not.toHaveProperty('correlation_id');
    // The Lambda context's keys stay until the next invocation replaces them.
  });

  it('takes a queue record’s correlation id, record by record, or its message id when it carries none', async () => {
    capture();
    const handler = middy<SQSEvent, void>()
      .use(logContext())
      .handler((event) => {
        for (const each of event.Records) {
          correlateRecord(each);
          logger.info('record');
        }
      });
    await handler({ Records: [record('m-1', 'api-request-2'), record('m-2')] }, lambdaContext('delivery'));
    expect(lines.map((line) => line.correlation_id)).toEqual(['api-request-2', 'm-2']);
  });

  it('writes nothing of an invocation that logs nothing, and an invocation answered early by a middleware leaves its id to none after it', async () => {
    capture();
    const handler = middy<{ id: string; ignore?: boolean }, string>()
      .use(logContext<{ id: string; ignore?: boolean }>((event) => event.id))
      // As Slack's triage answers an ignored event: from a before, which skips every after.
      .use({ before: (request: { readonly event: { readonly ignore?: boolean } }) => (request.event.ignore ? 'ignored' : undefined) })
      .handler(() => {
        logger.info('handled');
        return 'handled';
      });
    expect(await handler({ id: 'request-a' }, lambdaContext('slack-events'))).toBe('handled');
    expect(await handler({ id: 'request-b', ignore: true }, lambdaContext('slack-events'))).toBe('ignored');
    const third = lambdaContext('slack-events');
    await handler({ id: 'request-c' }, third);
    expect(lines.map((line) => [line.message, line.correlation_id, line.function_request_id])).toEqual([
      ['handled', 'request-a', expect.any(String)],
      ['handled', 'request-c', third.awsRequestId],
    ]);
  });

  it('keeps invocations that run at once in one process (npm start) apart: each line carries its own ids', async () => {
    capture();
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const handler = middy<{ id: string }, void>()
      .use(logContext<{ id: string }>((event) => event.id))
      .handler(async (event) => {
        for (let step = 0; step < 3; step += 1) {
          logger.info('step', { of: event.id });
          await tick();
        }
      });
    const contexts = [lambdaContext('slack-events'), lambdaContext('botpress-callbacks')];
    await Promise.all([apartFromOthers(() => handler({ id: 'request-1' }, contexts[0]!)), apartFromOthers(() => handler({ id: 'request-2' }, contexts[1]!))]);
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      const mine = line.of === 'request-1' ? contexts[0]! : contexts[1]!;
      expect(line).toMatchObject({ correlation_id: line.of, function_request_id: mine.awsRequestId, function_name: mine.functionName });
    }
  });
});


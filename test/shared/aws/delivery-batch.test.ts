import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSqsEventSource, toRecord } from '../../../local/event-source';
import { redrive } from '../../../infra/redrive';
import { readSettings } from '../../../shared/platform/config';
import { JOB_BUDGET_MS, processDeliveryBatch, type BatchDependencies } from '../../../shared/aws/delivery-batch';
import { createSqsClient, sqsRedelivery, type DeliveryQueue } from '../../../shared/aws/sqs-queue';
import { deliveryPolicy } from '../../../shared/domain/delivery/policy';
import type { AgentReply } from '../../../shared/domain/ports';
import { wireBot } from '../../../functions/wiring/bot';
import { wire } from '../../../functions/wiring/core';
import { wireDesk } from '../../../functions/wiring/desk';
import { deliveryFiles } from '../../../functions/wiring/files';
import { SUPPORT_CHANNEL } from '../../fixtures/slack-events';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../../support/bridge-harness';

/*
 * A batch of several conversations, as Lambda delivers when the event
 * source's batch size is above one: processDeliveryBatch with Powertools'
 * FIFO processor, straight, with a context whose remaining time the test sets.
 */
let bridge: BridgeHarness;
let client: SQSClient;
let queue: DeliveryQueue;
let deps: BatchDependencies;
let n = 0;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

beforeAll(async () => {
  bridge = await startBridgeHarness();
  const settings = readSettings(process.env, ['supportChannelId', 'deadLetterQueueUrl', 'fileBucket', 'publicUrl']);
  const runtime = wire(settings, { secrets: ['slackBotToken', 'botpressWebhookUrl', 'botpressWebhookSecret'] });
  client = createSqsClient({ endpoint: bridge.sqs.endpoint });
  queue = runtime.queue;
  deps = {
    delivery: { ...runtime, desk: wireDesk(runtime), bot: wireBot(runtime), logger: silent, policy: deliveryPolicy(15 * 60_000, 1000), supportChannelId: settings.supportChannelId, queueChannels: settings.queueChannels, files: deliveryFiles(settings, runtime.secrets) },
    redelivery: sqsRedelivery(runtime.sqs, settings.deliveryQueueUrl, settings.deadLetterQueueUrl),
    logger: silent,
  };
});
afterAll(async () => {
  client.destroy();
  await bridge.close();
});
beforeEach(() => {
  bridge.botpress.received.length = 0;
  bridge.botpress.delivered.length = 0;
});

async function conversation(): Promise<{ conversationId: string; threadTs: string }> {
  n += 1;
  const threadTs = `1717650000.${String(n).padStart(6, '0')}`;
  const conversationId = `conv-batch-${n}`;
  await seedHandoff(bridge.store, conversationId, threadTs);
  return { conversationId, threadTs };
}

async function queueReply(to: { conversationId: string; threadTs: string }, text: string): Promise<void> {
  n += 1;
  const reply: AgentReply = { eventId: `Ev${n}`, channelId: SUPPORT_CHANNEL, threadTs: to.threadTs, messageTs: `1717660000.${String(n).padStart(6, '0')}`, userId: 'U0AGENT01', markup: text };
  await queue.enqueue({ kind: 'agent-reply', key: ['slack-message', reply.channelId, reply.messageTs], conversationId: to.conversationId, reply });
}

/** What Lambda's event source hands the function: one receive of up to ten messages. */
async function receiveBatch(): Promise<SQSEvent> {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: bridge.queues.deliveries.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
  );
  return { Records: Messages.map((message) => toRecord(message, bridge.queues.deliveries.arn)) };
}

const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

/** The function's invocation, then what Lambda's event source does with its report: deletes what did not fail. */
async function invoke(event: SQSEvent, context: ReturnType<typeof remaining>) {
  const response = await processDeliveryBatch(event, context, deps);
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const record of event.Records.filter((candidate) => !failed.has(candidate.messageId))) {
    await client.send(new DeleteMessageCommand({ QueueUrl: bridge.queues.deliveries.url, ReceiptHandle: record.receiptHandle }));
  }
  return response;
}
const inFlight = () => bridge.sqs.messages(bridge.queues.deliveries.url.split('/').at(-1)!).filter((message) => message.inFlight).length;

describe('processDeliveryBatch', () => {
  it('fails the rest of a conversation behind its first failure, in order, and delivers the other conversations of the batch', async () => {
    const failing = await conversation();
    const healthy = await conversation();
    await queueReply(failing, 'a1');
    await queueReply(failing, 'a2');
    await queueReply(healthy, 'b1');
    bridge.botpress.statusFor = (body) => (body.conversationId === failing.conversationId ? 503 : 200);
    try {
      const event = await receiveBatch();
      expect(event.Records).toHaveLength(3);
      const response = await invoke(event, remaining(30_000));
      const ids = (texts: string[]) => event.Records.filter((record) => texts.some((text) => record.body.includes(`"markup":"${text}"`))).map((record) => record.messageId);
      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(ids(['a1', 'a2']).sort());
      // a2 was not tried: it waits behind a1.
      expect(bridge.botpress.received.map((request) => (JSON.parse(request.rawBody) as { text: string }).text)).toEqual(['a1', 'b1']);
      // Both wait out a1's delay, still in flight rather than back at once.
      expect(inFlight()).toBe(2);
    } finally {
      bridge.botpress.statusFor = undefined;
    }
    bridge.botpress.received.length = 0;
    bridge.botpress.delivered.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies().map((body) => (body as { text: string }).text)).toEqual(['a1', 'a2']);
  });

  it('keeps overlapping invocations apart: with four pollers and a failing Botpress, no message waits past its retry delay', async () => {
    const conversations = await Promise.all(Array.from({ length: 6 }, () => conversation()));
    for (const to of conversations) {
      await queueReply(to, `${to.conversationId} first`);
      await queueReply(to, `${to.conversationId} second`);
    }
    // Each reply fails once: every invocation has a failure to report while others overlap it.
    const refused = new Set<string>();
    bridge.botpress.statusFor = (body) => {
      const text = String((body as { text?: string }).text);
      if (refused.has(text)) return 200;
      refused.add(text);
      return 503;
    };
    // Lambda's poller has a client of its own, whose receives may wait (long polling).
    const pollingClient = createSqsClient({ endpoint: bridge.sqs.endpoint, requestTimeoutMs: 5_000 });
    const source = startSqsEventSource({
      client: pollingClient,
      queueUrl: bridge.queues.deliveries.url,
      queueArn: bridge.queues.deliveries.arn,
      handler: (event, context) => processDeliveryBatch(event, context, deps),
      timeoutMs: 60_000,
      batchSize: 1,
      concurrency: 4,
    });
    try {
      // Two tries each, 2 s apart, two replies in a row: well inside 20 s; a message held by a mixed-up report waits 180 s.
      await vi.waitFor(() => expect(bridge.botpress.deliveredBodies()).toHaveLength(12), { timeout: 20_000, interval: 100 });
    } finally {
      bridge.botpress.statusFor = undefined;
      await source.stop();
      pollingClient.destroy();
    }
    for (const to of conversations) {
      const texts = (bridge.botpress.deliveredBodies() as { conversationId: string; text: string }[]).filter((body) => body.conversationId === to.conversationId).map((body) => body.text);
      expect(texts).toEqual([`${to.conversationId} first`, `${to.conversationId} second`]);
    }
    expect(inFlight()).toBe(0);
  }, 30_000);

  it('starts no job with too little of the invocation left: it goes back to the queue after the least delay, a second, not after the visibility timeout', async () => {
    const to = await conversation();
    await queueReply(to, 'later, please');
    const event = await receiveBatch();
    const response = await invoke(event, remaining(JOB_BUDGET_MS - 1));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(bridge.botpress.received).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, deps.delivery.policy.minDelayMs + 100));
    expect(inFlight()).toBe(0);
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toMatchObject([{ text: 'later, please' }]);
  });
});

describe('a delivery given up, then replayed from the dead letters', () => {
  const deadLetters = () => bridge.sqs.messages(bridge.queues.deadLetters.url.split('/').at(-1)!);

  it('keeps the reason and when it was given up; moved back (npm run redrive) once the cause is fixed, it is delivered', async () => {
    const to = await conversation();
    await queueReply(to, 'replay me');
    bridge.botpress.statusFor = () => 404;
    try {
      expect((await invoke(await receiveBatch(), remaining(30_000))).batchItemFailures).toEqual([]);
    } finally {
      bridge.botpress.statusFor = undefined;
    }
    const dead = deadLetters().find((message) => message.body.includes('replay me'));
    expect(dead?.messageAttributes).toMatchObject({ failureReason: { StringValue: expect.stringMatching(/^refused: /) as string }, gaveUpAt: { DataType: 'Number' }, firstQueuedAt: { DataType: 'Number' } });

    const result = await redrive(client, { sourceArn: bridge.queues.deadLetters.arn, destinationArn: bridge.queues.deliveries.arn }, { pollMs: 10 });
    expect(result.status).toBe('COMPLETED');
    expect(result.moved).toBeGreaterThanOrEqual(1);
    expect(deadLetters()).toEqual([]);
    await invoke(await receiveBatch(), remaining(30_000));
    expect(bridge.botpress.deliveredBodies().map((body) => (body as { text?: string }).text)).toContain('replay me');
  });

  it.each([
    ['with a fresh give-up time: retried, not given up again at once', true, 'retried'],
    ['(a message never given up that old is given up)', false, 'given up'],
  ])('tries a replayed message first queued long ago %s', async (_, replayed, outcome) => {
    const to = await conversation();
    await queueReply(to, `old ${String(replayed)}`);
    const event = await receiveBatch();
    const record = event.Records[0]!;
    const longAgo = Date.now() - 20 * 60_000;
    // As if SQS had kept the stamp of the first send through the move: the give-up time starts when it was first received after it.
    Object.assign(record.attributes, { SentTimestamp: String(longAgo), ApproximateFirstReceiveTimestamp: String(Date.now()) });
    if (replayed) {
      record.messageAttributes.gaveUpAt = { dataType: 'Number', stringValue: String(Date.now() - 60_000), stringListValues: [], binaryListValues: [] };
      record.messageAttributes.firstQueuedAt = { dataType: 'Number', stringValue: String(longAgo), stringListValues: [], binaryListValues: [] };
    }
    const before = deadLetters().length;
    bridge.botpress.statusFor = () => 503;
    try {
      const response = await invoke(event, remaining(30_000));
      expect(response.batchItemFailures.length === 1 ? 'retried' : 'given up').toBe(outcome);
      expect(deadLetters().length - before).toBe(replayed ? 0 : 1);
      // The retried one is not left to come back into the other tests.
      if (replayed) await client.send(new DeleteMessageCommand({ QueueUrl: bridge.queues.deliveries.url, ReceiptHandle: record.receiptHandle }));
    } finally {
      bridge.botpress.statusFor = undefined;
    }
  });
});


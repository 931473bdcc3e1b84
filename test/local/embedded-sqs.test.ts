import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_QUEUE } from '../../infra/bundling';
import { deliveryRetries } from '../../shared/aws/delivery-retries';
import { ensureDeliveryQueues, startEmbeddedSqs, type EmbeddedSqs } from '../../local/embedded-sqs';
import { createSqsClient } from '../../shared/aws/sqs-queue';

// The rules the bridge relies on, checked through the real @aws-sdk/client-sqs.
const clock = { now: Date.UTC(2026, 11, 1, 12) };
let sqs: EmbeddedSqs;
let client: SQSClient;
let n = 0;

beforeAll(async () => {
  sqs = await startEmbeddedSqs({ now: () => clock.now });
  client = createSqsClient({ endpoint: sqs.endpoint });
});
afterAll(async () => {
  client.destroy();
  await sqs.close();
});
afterEach(() => {
  clock.now += 3_600_000;
});

async function fifoQueue(attributes: Record<string, string> = {}): Promise<string> {
  n += 1;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `q${n}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '30', ...attributes } }));
  return QueueUrl!;
}
const send = (QueueUrl: string, body: string, group: string, dedupe = `${body}-${group}`) =>
  client.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedupe }));
const receive = async (QueueUrl: string, max = 10): Promise<Message[]> =>
  (await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: max, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
const bodies = (messages: Message[]) => messages.map((message) => message.Body);

describe('embedded SQS, FIFO', () => {
  it('returns a group in order, and none of a group while one of its messages is in flight', async () => {
    const queue = await fifoQueue();
    for (const body of ['a1', 'a2', 'a3']) await send(queue, body, 'A');
    await send(queue, 'b1', 'B');
    const first = await receive(queue, 2);
    expect(bodies(first)).toEqual(['a1', 'a2']);
    // A is blocked while a1 and a2 are in flight; B is not.
    expect(bodies(await receive(queue))).toEqual(['b1']);
    expect(await receive(queue)).toEqual([]);
    await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: first[0]!.ReceiptHandle }));
    expect(await receive(queue)).toEqual([]);
    await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: first[1]!.ReceiptHandle }));
    expect(bodies(await receive(queue))).toEqual(['a3']);
  });

  it('gives a message back after its visibility timeout, or after the delay ChangeMessageVisibility sets, with the receive count and a new handle', async () => {
    const queue = await fifoQueue();
    await send(queue, 'm', 'G');
    const [first] = await receive(queue);
    expect(first!.Attributes).toMatchObject({ ApproximateReceiveCount: '1', MessageGroupId: 'G', SentTimestamp: String(clock.now) });
    clock.now += 29_000;
    expect(await receive(queue)).toEqual([]);
    clock.now += 1_000;
    const [second] = await receive(queue);
    expect(second!.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);

    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: second!.ReceiptHandle, VisibilityTimeout: 5 }));
    clock.now += 4_999;
    expect(await receive(queue)).toEqual([]);
    clock.now += 1;
    expect((await receive(queue))[0]!.Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('refuses a superseded or lapsed receipt handle, as SQS does for FIFO queues', async () => {
    const queue = await fifoQueue();
    await send(queue, 'm', 'G');
    const [first] = await receive(queue);
    clock.now += 30_000;
    await expect(client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: first!.ReceiptHandle }))).rejects.toThrow(/receipt handle has expired/);
    const [second] = await receive(queue);
    await expect(client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 }))).rejects.toThrow(/expired/);
    await expect(client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: 'not-a-handle' }))).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: second!.ReceiptHandle }));
    expect(await receive(queue)).toEqual([]);
  });

  it('keeps a deduplication id once for five minutes, then takes it again', async () => {
    const queue = await fifoQueue();
    const first = await send(queue, 'once', 'G', 'dedupe-1');
    const again = await send(queue, 'once more', 'G', 'dedupe-1');
    expect(again.MessageId).toBe(first.MessageId);
    const received = await receive(queue);
    expect(bodies(received)).toEqual(['once']);
    await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: received[0]!.ReceiptHandle }));
    clock.now += 5 * 60_000;
    await send(queue, 'later', 'G', 'dedupe-1');
    expect(bodies(await receive(queue))).toEqual(['later']);
  });

  it('takes a deduplication id again the moment its five minutes are up, between sweeps of the old ids', async () => {
    const queue = await fifoQueue();
    await send(queue, 'once', 'G', 'dedupe-2');
    clock.now += 5 * 60_000 - 1;
    await send(queue, 'too soon', 'G', 'dedupe-2');
    clock.now += 1;
    await send(queue, 'in time', 'G', 'dedupe-2');
    expect(sqs.messages(queue.split('/').at(-1)!).map((message) => message.body)).toEqual(['once', 'in time']);
  });

  it('moves a message received more than maxReceiveCount times to the dead-letter queue, and the group goes on', async () => {
    const dlq = await fifoQueue();
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }));
    const queue = await fifoQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 2 }) });
    await send(queue, 'poison', 'G');
    await send(queue, 'next', 'G');
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      expect(bodies(await receive(queue, 1))).toEqual(['poison']);
      clock.now += 30_000;
    }
    expect(bodies(await receive(queue, 1))).toEqual(['next']);
    expect(bodies(await receive(dlq))).toEqual(['poison']);
  });

  it('moves a dead-letter queue back with a move task: new messages (new id, sent now, never received), their attributes and groups kept', async () => {
    const dlq = await fifoQueue();
    const arnOf = async (QueueUrl: string) => (await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const dlqArn = await arnOf(dlq);
    const queue = await fifoQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    const other = await fifoQueue();
    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: await arnOf(other) }))).rejects.toThrow(/Dead Letter Queue/);

    // One moved there by the redrive policy (its source noted), one put there by a consumer, as the bridge does.
    await send(queue, 'poison', 'G');
    const [first] = await receive(queue);
    clock.now += 30_000;
    expect(await receive(queue)).toEqual([]);
    await client.send(
      new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'given up', MessageGroupId: 'H', MessageDeduplicationId: 'd-1', MessageAttributes: { failureReason: { DataType: 'String', StringValue: 'refused' } } }),
    );
    const [dead] = (await client.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 1, VisibilityTimeout: 0, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(await arnOf(queue));

    // Without a destination, a message with no source on record fails the task.
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 10 }));
    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }))).rejects.toThrow(/already a task running/);
    const settled = async () => {
      for (;;) {
        const [task] = (await client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results ?? [];
        if (task?.Status !== 'RUNNING') return task;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    expect(await settled()).toMatchObject({ Status: 'FAILED', ApproximateNumberOfMessagesMoved: 1, FailureReason: expect.stringMatching(/DestinationArn/) as string });
    expect(bodies(await receive(queue))).toEqual(['poison']);

    const sentBefore = clock.now;
    clock.now += 60_000;
    const { TaskHandle } = await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: await arnOf(queue) }));
    expect(TaskHandle).toEqual(expect.any(String));
    expect(await settled()).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    const moved = (await client.send(new ReceiveMessageCommand({ QueueUrl: queue, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }))).Messages ?? [];
    expect(moved).toMatchObject([{ Body: 'given up', Attributes: { MessageGroupId: 'H', ApproximateReceiveCount: '1' }, MessageAttributes: { failureReason: { StringValue: 'refused' } } }]);
    expect(moved[0]!.MessageId).not.toBe(first!.MessageId);
    expect(Number(moved[0]!.Attributes!.SentTimestamp)).toBeGreaterThan(sentBefore);
  });

  it('refuses what SQS refuses: a missing group, a per-message delay, a body over the size limit or with characters SQS does not take, more than 10 per receive', async () => {
    const queue = await fifoQueue({ MaximumMessageSize: '1024' });
    await expect(client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x', MessageDeduplicationId: 'd' }))).rejects.toThrow(/MessageGroupId/);
    await expect(client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x', MessageGroupId: 'G', MessageDeduplicationId: 'd', DelaySeconds: 5 }))).rejects.toThrow(/DelaySeconds/);
    await expect(client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x', MessageGroupId: 'G' }))).rejects.toThrow(/ContentBasedDeduplication/);
    await expect(send(queue, 'é'.repeat(513), 'G')).rejects.toThrow(/shorter than 1024 bytes/);
    await expect(send(queue, 'bad \u0001 char', 'G')).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(send(queue, 'x', 'a group id with spaces and ünicode')).rejects.toThrow(/MessageGroupId/);
    await expect(client.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 11 }))).rejects.toThrow(/MaxNumberOfMessages/);
    await expect(client.send(new ReceiveMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope.fifo` }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('waits for a message with long polling, and answers at once when one is sent', async () => {
    const queue = await fifoQueue();
    const started = performance.now();
    const receiving = client.send(new ReceiveMessageCommand({ QueueUrl: queue, WaitTimeSeconds: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await send(queue, 'late', 'G');
    expect(bodies((await receiving).Messages ?? [])).toEqual(['late']);
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('answers Lambda’s poller in-process as over its endpoint: the same messages, waits, deletes and refusals', async () => {
    const queue = await fifoQueue();
    await send(queue, 'over-the-endpoint', 'A');
    await send(queue, 'in-process', 'B');
    const input = { QueueUrl: queue, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All' as const], MessageAttributeNames: ['All'] };
    const [overEndpoint] = (await client.send(new ReceiveMessageCommand(input))).Messages!;
    const [inProcess] = (await sqs.pollerApi.receiveMessage(input)).Messages!;
    expect(inProcess!.Body).toBe('in-process');
    // The same fields and attributes, as Lambda's event source turns them into a record.
    expect(Object.keys(inProcess!).sort()).toEqual(Object.keys(overEndpoint!).sort());
    expect(Object.keys(inProcess!.Attributes!).sort()).toEqual(Object.keys(overEndpoint!.Attributes!).sort());
    expect(inProcess!.Attributes!.MessageGroupId).toBe('B');
    // A long poll waits for a send, in-process too.
    const waiting = sqs.pollerApi.receiveMessage({ ...input, WaitTimeSeconds: 5 });
    await send(queue, 'sent-while-waiting', 'C');
    expect(bodies((await waiting).Messages ?? [])).toEqual(['sent-while-waiting']);
    const remove = (handle: string) => sqs.pollerApi.deleteMessageBatch({ QueueUrl: queue, Entries: [{ Id: '0', ReceiptHandle: handle }] });
    expect((await remove(inProcess!.ReceiptHandle!)).Failed).toEqual([]);
    expect(sqs.messages(queue.split('/').at(-1)!).map((message) => message.body)).toEqual(['over-the-endpoint', 'sent-while-waiting']);
    // A handle that is not one is refused as over the endpoint; an unknown queue fails the call.
    const overTheEndpoint = await client.send(new DeleteMessageBatchCommand({ QueueUrl: queue, Entries: [{ Id: '0', ReceiptHandle: 'not-a-handle' }] }));
    expect((await remove('not-a-handle')).Failed).toEqual(overTheEndpoint.Failed);
    expect(overTheEndpoint.Failed).toEqual([expect.objectContaining({ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    await expect(sqs.pollerApi.receiveMessage({ ...input, QueueUrl: `${sqs.endpoint}/000000000000/nope.fifo` })).rejects.toThrow(/does not exist/);
  });
});

describe('ensureDeliveryQueues', () => {
  it('creates the queues as the stack does, and gives a queue kept from an earlier version these settings', async () => {
    await client.send(new CreateQueueCommand({ QueueName: 'older-deliveries.fifo', Attributes: { FifoQueue: 'true', VisibilityTimeout: '5' } }));
    const queues = await ensureDeliveryQueues(client, 'older');
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queues.deliveries.url, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      FifoQueue: 'true',
      VisibilityTimeout: String(DELIVERY_QUEUE.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queues.deadLetters.arn, maxReceiveCount: deliveryRetries(15 * 60_000).maxReceiveCount }),
    });
    expect(await ensureDeliveryQueues(client, 'older')).toEqual(queues);
  });
});

describe('embedded SQS with a data file', () => {
  it('keeps queued and in-flight messages across a restart', async () => {
    const dataFile = path.join(mkdtempSync(path.join(tmpdir(), 'sqs-')), 'sqs.json');
    const first = await startEmbeddedSqs({ dataFile, now: () => clock.now });
    const firstClient = createSqsClient({ endpoint: first.endpoint });
    const queue = first.createQueue('kept.fifo', { FifoQueue: 'true', VisibilityTimeout: '30' });
    await firstClient.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'in flight', MessageGroupId: 'A', MessageDeduplicationId: '1' }));
    await firstClient.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'waiting', MessageGroupId: 'B', MessageDeduplicationId: '2' }));
    await firstClient.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 1 }));
    firstClient.destroy();
    await first.close();

    const second = await startEmbeddedSqs({ dataFile, now: () => clock.now });
    const secondClient = createSqsClient({ endpoint: second.endpoint });
    try {
      const url = second.queueUrl('kept.fifo');
      const waiting = (await secondClient.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages ?? [];
      expect(bodies(waiting)).toEqual(['waiting']);
      await secondClient.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: waiting[0]!.ReceiptHandle }));
      clock.now += 30_000;
      expect(bodies((await secondClient.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages ?? [])).toEqual(['in flight']);
    } finally {
      secondClient.destroy();
      await second.close();
    }
  });

  it('with releaseHeld, gives back at start what the dead run’s receivers held, but keeps a retry’s delay', async () => {
    const dataFile = path.join(mkdtempSync(path.join(tmpdir(), 'sqs-')), 'sqs.json');
    const dying = await startEmbeddedSqs({ dataFile, now: () => clock.now });
    const dyingClient = createSqsClient({ endpoint: dying.endpoint });
    const queue = dying.createQueue('held.fifo', { FifoQueue: 'true', VisibilityTimeout: '180' });
    await dyingClient.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'being delivered', MessageGroupId: 'A', MessageDeduplicationId: '1' }));
    await dyingClient.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'waiting out a retry', MessageGroupId: 'B', MessageDeduplicationId: '2' }));
    const received = (await dyingClient.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }))).Messages ?? [];
    const retrying = received.find((message) => message.Body === 'waiting out a retry')!;
    await dyingClient.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: retrying.ReceiptHandle, VisibilityTimeout: 60 }));
    dyingClient.destroy();
    // No close(): the process was killed mid-delivery.

    const revived = await startEmbeddedSqs({ dataFile, now: () => clock.now, releaseHeld: true });
    const client = createSqsClient({ endpoint: revived.endpoint });
    try {
      const url = revived.queueUrl('held.fifo');
      const again = (await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
      expect(bodies(again)).toEqual(['being delivered']);
      expect(again[0]!.Attributes?.ApproximateReceiveCount).toBe('2');
      clock.now += 60_000;
      expect(bodies((await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages ?? [])).toEqual(['waiting out a retry']);
    } finally {
      client.destroy();
      await revived.close();
      await dying.close();
    }
  });

  it('keeps what it answered when it dies without closing, from its journal, a last line cut short by the crash aside', async () => {
    const dataFile = path.join(mkdtempSync(path.join(tmpdir(), 'sqs-')), 'sqs.json');
    const dying = await startEmbeddedSqs({ dataFile, now: () => clock.now });
    const dyingClient = createSqsClient({ endpoint: dying.endpoint });
    const queue = dying.createQueue('crash.fifo', { FifoQueue: 'true' });
    for (const body of ['a', 'b', 'c']) await dyingClient.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body, MessageGroupId: 'G', MessageDeduplicationId: body }));
    const [a] = (await dyingClient.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 1 }))).Messages ?? [];
    await dyingClient.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: a!.ReceiptHandle }));
    dyingClient.destroy();
    // No close(): the process died. Its last write was cut short.
    appendFileSync(`${dataFile}.journal`, '{"q":"crash.fifo","put":{"messageId":');

    const revived = await startEmbeddedSqs({ dataFile, now: () => clock.now });
    const client = createSqsClient({ endpoint: revived.endpoint });
    try {
      const url = revived.queueUrl('crash.fifo');
      expect(bodies((await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages ?? [])).toEqual(['b', 'c']);
      // The deduplication ids it had seen are still seen.
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b again', MessageGroupId: 'G', MessageDeduplicationId: 'b' }));
      expect(revived.messages('crash.fifo').map((message) => message.body)).toEqual(['b', 'c']);
    } finally {
      client.destroy();
      await revived.close();
      await dying.close();
    }
  });
});

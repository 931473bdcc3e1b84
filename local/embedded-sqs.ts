import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, QueueNameExists, SetQueueAttributesCommand, type BatchResultErrorEntry, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DELIVERY_QUEUE, REMINDER_QUEUE } from '../infra/bundling';
import { deliveryRetries } from '../shared/aws/delivery-retries';
import { SETTINGS } from '../shared/platform/settings';
import { readBody } from './api-gateway-adapter';
import type { PolledQueueApi } from './event-source';

/*
 * An SQS-API server on loopback, for `npm start` and the tests: there is no
 * local SQS in the npm registry. It speaks the protocol @aws-sdk/client-sqs
 * speaks (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>`) and keeps the rules
 * the bridge relies on, as SQS documents them, no kinder:
 * - FIFO: a message group is blocked while any of its messages is in flight;
 *   a receive returns as many messages of one group as it can, in order, then
 *   others; a deduplication id seen in the last 5 minutes is accepted and dropped;
 *   per-message DelaySeconds is refused (a standard queue's message waits
 *   its own DelaySeconds, 0 to 900, over the queue's);
 * - visibility: a received message is invisible for the visibility timeout,
 *   then received again with ApproximateReceiveCount + 1 and a new receipt
 *   handle; on a FIFO queue a superseded or lapsed handle is refused;
 * - redrive: a message received more than maxReceiveCount times moves to the
 *   dead-letter queue on its next receive, noting its source
 *   (DeadLetterQueueSourceArn); StartMessageMoveTask moves a dead-letter
 *   queue's messages back, as new messages (a new id, sent now, never
 *   received), their attributes and groups kept (sqs-configure-dead-letter-queue-redrive
 *   in the SQS Developer Guide: "All redriven messages are considered new
 *   messages and are assigned a new messageID and enqueueTime"), one task
 *   per source queue at a time, listed by ListMessageMoveTasks;
 * - limits: body size (MaximumMessageSize, 256 KiB by default), the characters
 *   SQS accepts, group and deduplication ids of at most 128 allowed characters,
 *   at most 10 messages per receive or batch, retention.
 * With `dataFile`, every change is journaled on disk before it is answered and
 * read back at start (QueueFile), so that what was acknowledged survives a restart.
 */

export const FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const MAX_BATCH = 10;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly groupId?: string | undefined;
  readonly deduplicationId?: string | undefined;
  readonly sequenceNumber?: string | undefined;
  readonly sentAt: number;
  readonly messageAttributes?: Record<string, unknown> | undefined;
  receiveCount: number;
  firstReceivedAt?: number | undefined;
  /** Epoch ms from which it can be received; in flight while this is in the future and it has a receipt handle. */
  visibleAt: number;
  receiptHandle?: string | undefined;
  /** In flight because a receiver holds it (true), not because its visibility was changed to delay it (a retry's wait). */
  held?: boolean | undefined;
  /** The queue whose redrive policy moved it here, for a message in a dead-letter queue. */
  readonly deadLetterSourceArn?: string | undefined;
}

/** A StartMessageMoveTask's task, as ListMessageMoveTasks describes it. */
interface MoveTask {
  readonly TaskHandle: string;
  Status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  readonly SourceArn: string;
  readonly DestinationArn?: string | undefined;
  ApproximateNumberOfMessagesMoved: number;
  readonly ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string | undefined;
  readonly StartedTimestamp: number;
}

interface StoredQueue {
  readonly name: string;
  readonly fifo: boolean;
  attributes: Record<string, string>;
  messages: StoredMessage[];
  /** FIFO deduplication ids seen within the window: id → when, and the message it named. */
  deduplication: Record<string, { at: number; messageId: string; sequenceNumber: string }>;
  sequence: number;
}

class SqsError extends Error {
  constructor(
    readonly type: string,
    readonly queryCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '262144',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
};
// What SQS accepts in a message body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const GROUP_OR_DEDUPLICATION_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

export interface EmbeddedSqs {
  /** The endpoint for an SQS client. */
  readonly endpoint: string;
  /** Lambda's poller's two calls in-process, with the same rules and answers as over the endpoint (local/event-source.ts). */
  readonly pollerApi: PolledQueueApi;
  /** Creates a queue unless it exists (attributes as in CreateQueue); returns its URL. */
  createQueue(name: string, attributes?: Record<string, string>): string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** Every message a queue holds, in order, visible or not (tests look inside). */
  messages(name: string): readonly {
    readonly body: string;
    readonly groupId?: string | undefined;
    readonly receiveCount: number;
    readonly inFlight: boolean;
    readonly messageAttributes?: Record<string, unknown> | undefined;
  }[];
  close(): Promise<void>;
}

export interface EmbeddedSqsOptions {
  /** Keep the queues in this file across restarts; in memory without it. */
  readonly dataFile?: string | undefined;
  /**
   * The receivers of an earlier run are gone: the local bridge's own event
   * source was the only one, and it died with it. What they held is visible
   * again at start, where SQS would wait out the visibility timeout for a
   * crashed invocation (3 minutes). A retry's delay is kept.
   */
  readonly releaseHeld?: boolean;
  readonly host?: string;
  readonly now?: () => number;
}

export async function startEmbeddedSqs(options: EmbeddedSqsOptions = {}): Promise<EmbeddedSqs> {
  // Read when called, not captured: a test that fakes the clock moves it for every part alike.
  const now = options.now ?? (() => Date.now());
  const store = new QueueFile(options.dataFile);
  const queues = store.load();
  if (options.releaseHeld) {
    for (const queue of queues.values()) {
      for (const message of queue.messages.filter((candidate) => candidate.held && candidate.receiptHandle !== undefined && candidate.visibleAt > now())) {
        Object.assign(message, { visibleAt: now(), receiptHandle: undefined, held: undefined });
        store.append(queue.name, { put: message });
      }
    }
  }
  // Long-polling receivers, per queue: a change to one queue wakes only those waiting on it.
  const waiting = new Map<string, Set<() => void>>();
  let endpoint = '';

  /** Writes one change to the journal before the call that made it is answered: what SQS acknowledged survives a crash. */
  const persist = (queue: StoredQueue, change: JournalChange) => {
    store.append(queue.name, change);
    if (store.needsCompaction) store.compact(queues);
  };
  const wakeReceivers = (queue: StoredQueue) => {
    for (const wake of waiting.get(queue.name) ?? []) wake();
  };
  const urlOf = (name: string) => `${endpoint}/${ACCOUNT}/${name}`;
  const arnOf = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

  const queueFor = (input: { QueueUrl?: unknown }): StoredQueue => {
    const name = typeof input.QueueUrl === 'string' ? input.QueueUrl.split('/').at(-1) : undefined;
    const queue = name ? queues.get(name) : undefined;
    if (!queue) throw new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return queue;
  };

  const createQueue = (name: string, attributes: Record<string, string> = {}): string => {
    const fifo = attributes.FifoQueue === 'true';
    if (fifo !== name.endsWith('.fifo')) throw invalidParameter('The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix.');
    const existing = queues.get(name);
    const wanted = { ...DEFAULT_ATTRIBUTES, ...attributes };
    if (existing) {
      const differs = Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) throw new SqsError('QueueNameExists', 'QueueAlreadyExists', `A queue already exists with the same name and a different value for attribute(s)`);
      return urlOf(name);
    }
    const queue: StoredQueue = { name, fifo, attributes: wanted, messages: [], deduplication: {}, sequence: 0 };
    queues.set(name, queue);
    persist(queue, { attributes: wanted, fifo });
    return urlOf(name);
  };

  /** When each queue's deduplication ids were last swept: a sweep walks them all, so it is not done on every call. */
  const sweptAt = new Map<string, number>();
  const expire = (queue: StoredQueue) => {
    const at = now();
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    const retained = (message: StoredMessage) => at - message.sentAt < retentionMs;
    if (!queue.messages.every(retained)) queue.messages = queue.messages.filter(retained);
    // A send looks at an id's time itself (within the window), so a sweep once a second only frees memory.
    const swept = sweptAt.get(queue.name);
    if (swept !== undefined && at >= swept && at - swept < 1000) return;
    sweptAt.set(queue.name, at);
    for (const [id, seen] of Object.entries(queue.deduplication)) if (!withinDeduplicationWindow(seen, at)) delete queue.deduplication[id];
  };

  const inFlight = (message: StoredMessage, at: number) => message.receiptHandle !== undefined && message.visibleAt > at;

  const sendMessage = (queue: StoredQueue, input: Record<string, unknown>) => {
    expire(queue);
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) throw new SqsError('MissingParameter', 'MissingParameter', 'The request must contain the parameter MessageBody.');
    if (INVALID_BODY_CHARACTER.test(body)) throw new SqsError('InvalidMessageContents', 'InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
    const maxBytes = Number(queue.attributes.MaximumMessageSize);
    if (Buffer.byteLength(body) > maxBytes) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${maxBytes} bytes.`);
    let groupId: string | undefined;
    let deduplicationId: string | undefined;
    if (queue.fifo) {
      if (input.DelaySeconds !== undefined) throw invalidParameter(`Value ${JSON.stringify(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      if (typeof input.MessageGroupId !== 'string') throw new SqsError('MissingParameter', 'MissingParameter', 'The request must contain the parameter MessageGroupId.');
      if (!GROUP_OR_DEDUPLICATION_ID.test(input.MessageGroupId)) throw invalidParameter(`Value ${input.MessageGroupId} for parameter MessageGroupId is invalid.`);
      groupId = input.MessageGroupId;
      if (typeof input.MessageDeduplicationId === 'string') {
        if (!GROUP_OR_DEDUPLICATION_ID.test(input.MessageDeduplicationId)) throw invalidParameter(`Value ${input.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid.`);
        deduplicationId = input.MessageDeduplicationId;
      } else if (queue.attributes.ContentBasedDeduplication === 'true') {
        deduplicationId = createHash('sha256').update(body).digest('hex');
      } else {
        throw invalidParameter('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
      const seen = queue.deduplication[deduplicationId];
      if (seen && withinDeduplicationWindow(seen, now())) return { MessageId: seen.messageId, MD5OfMessageBody: md5(body), SequenceNumber: seen.sequenceNumber };
    }
    // A standard queue's message may wait a delay of its own, 0 to 900 s, over the queue's (FIFO refused it above).
    let delaySeconds = Number(queue.attributes.DelaySeconds);
    if (input.DelaySeconds !== undefined) {
      if (!Number.isInteger(input.DelaySeconds) || (input.DelaySeconds as number) < 0 || (input.DelaySeconds as number) > 900) {
        throw invalidParameter(`Value ${JSON.stringify(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`);
      }
      delaySeconds = input.DelaySeconds as number;
    }
    const messageAttributes = input.MessageAttributes as Record<string, unknown> | undefined;
    if (messageAttributes && Object.keys(messageAttributes).length > 10) throw invalidParameter('Number of message attributes [11] exceeds the allowed maximum [10].');
    const sentAt = now();
    queue.sequence += 1;
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5: md5(body),
      groupId,
      deduplicationId,
      sequenceNumber: queue.fifo ? String(queue.sequence).padStart(20, '0') : undefined,
      sentAt,
      messageAttributes,
      receiveCount: 0,
      visibleAt: sentAt + delaySeconds * 1000,
    };
    queue.messages.push(message);
    if (deduplicationId) queue.deduplication[deduplicationId] = { at: sentAt, messageId: message.messageId, sequenceNumber: message.sequenceNumber! };
    persist(queue, { put: message, ...(deduplicationId ? { deduplicated: [deduplicationId, queue.deduplication[deduplicationId]!] } : {}) });
    wakeReceivers(queue);
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5, ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}) };
  };

  /** Picks what one receive returns, moving messages over their receive limit to the dead-letter queue. */
  const take = (queue: StoredQueue, max: number): StoredMessage[] => {
    expire(queue);
    const at = now();
    const redrive = queue.attributes.RedrivePolicy ? (JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string }) : undefined;
    const dlq = redrive ? queues.get(redrive.deadLetterTargetArn.split(':').at(-1)!) : undefined;
    const blockedGroups = new Set(queue.messages.filter((message) => message.groupId !== undefined && inFlight(message, at)).map((message) => message.groupId));
    const taken: StoredMessage[] = [];
    const moved: StoredMessage[] = [];
    // FIFO: one group's messages in order, as many as fit, then the next group's; a group stops at its first unavailable message.
    const groupsInOrder = queue.fifo ? [...new Set(queue.messages.map((message) => message.groupId))] : [undefined];
    for (const group of groupsInOrder) {
      if (taken.length >= max) break;
      if (queue.fifo && blockedGroups.has(group)) continue;
      for (const message of queue.messages) {
        if (taken.length >= max) break;
        if (queue.fifo && message.groupId !== group) continue;
        if (message.visibleAt > at) {
          if (queue.fifo) break;
          continue;
        }
        if (dlq && message.receiveCount >= Number(redrive!.maxReceiveCount)) {
          moved.push(message);
          continue;
        }
        taken.push(message);
      }
    }
    if (moved.length > 0) {
      queue.messages = queue.messages.filter((message) => !moved.includes(message));
      // A message keeps its attributes in the dead-letter queue; a FIFO one its group, in order, and its own id as its
      // deduplication id ("the original message's deduplication ID will be replaced with the original message's ID").
      for (const message of moved) {
        const deduplicationId = message.deduplicationId === undefined ? undefined : message.messageId;
        const dead = { ...message, deduplicationId, receiptHandle: undefined, visibleAt: at, deadLetterSourceArn: arnOf(queue.name) };
        dlq!.messages.push(dead);
        persist(queue, { delete: message.messageId });
        persist(dlq!, { put: dead });
      }
    }
    return taken;
  };

  const receiveNow = (queue: StoredQueue, input: Record<string, unknown>) => {
    const at = now();
    const visibility = input.VisibilityTimeout === undefined ? Number(queue.attributes.VisibilityTimeout) : Number(input.VisibilityTimeout);
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    const messages = take(queue, max);
    for (const message of messages) {
      message.receiveCount += 1;
      message.firstReceivedAt ??= at;
      message.visibleAt = at + visibility * 1000;
      message.receiptHandle = Buffer.from(`${message.messageId}:${randomUUID()}`).toString('base64');
      message.held = true;
      persist(queue, { put: message });
    }
    const wanted = [...asStrings(input.AttributeNames), ...asStrings(input.MessageSystemAttributeNames)];
    const all = wanted.includes('All');
    return messages.map((message) => {
      const attributes: Record<string, string> = {
        SenderId: 'AIDAEMBEDDEDSQS',
        SentTimestamp: String(message.sentAt),
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
        ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
        ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
        ...(message.deadLetterSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {}),
      };
      const selected = Object.fromEntries(Object.entries(attributes).filter(([name]) => all || wanted.includes(name)));
      const wantedMessageAttributes = asStrings(input.MessageAttributeNames);
      const messageAttributes = Object.fromEntries(
        Object.entries(message.messageAttributes ?? {}).filter(([name]) => wantedMessageAttributes.includes('All') || wantedMessageAttributes.includes(name)),
      );
      return {
        MessageId: message.messageId,
        ReceiptHandle: message.receiptHandle,
        MD5OfBody: message.md5,
        Body: message.body,
        ...(Object.keys(selected).length > 0 ? { Attributes: selected } : {}),
        ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes } : {}),
      };
    });
  };

  const receiveMessage = async (queue: StoredQueue, input: Record<string, unknown>, closed: Promise<void>) => {
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH) throw invalidParameter(`Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const waitSeconds = Number(input.WaitTimeSeconds ?? queue.attributes.ReceiveMessageWaitTimeSeconds);
    if (!(waitSeconds >= 0 && waitSeconds <= 20)) throw invalidParameter(`Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    const deadline = now() + waitSeconds * 1000;
    for (;;) {
      const messages = receiveNow(queue, input);
      if (messages.length > 0 || now() >= deadline) return { Messages: messages };
      // Long polling: woken by a send, or by a message whose visibility lapses (checked at least every 50 ms).
      await new Promise<void>((resolve) => {
        const receivers = waiting.get(queue.name) ?? waiting.set(queue.name, new Set()).get(queue.name)!;
        const wake = () => {
          clearTimeout(timer);
          receivers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(50, Math.max(deadline - now(), 0)));
        receivers.add(wake);
        void closed.then(wake);
      });
      if (closing) return { Messages: [] };
    }
  };

  /** The message a receipt handle names, if it is the current handle of a message still in flight. */
  const byReceiptHandle = (queue: StoredQueue, handle: unknown): StoredMessage | undefined => {
    const decoded = typeof handle === 'string' ? Buffer.from(handle, 'base64').toString('utf8') : '';
    const messageId = /^([0-9a-f-]{36}):[0-9a-f-]{36}$/.exec(decoded)?.[1];
    if (!messageId) throw new SqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(handle)}" is not a valid receipt handle.`, 404);
    const message = queue.messages.find((candidate) => candidate.messageId === messageId);
    if (!message) return undefined;
    if (message.receiptHandle !== handle || !inFlight(message, now())) {
      if (queue.fifo) throw invalidParameter(`Value ${String(handle)} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
      return undefined;
    }
    return message;
  };

  const deleteMessage = (queue: StoredQueue, handle: unknown) => {
    const message = byReceiptHandle(queue, handle);
    if (message) {
      queue.messages = queue.messages.filter((candidate) => candidate !== message);
      persist(queue, { delete: message.messageId });
      wakeReceivers(queue);
    }
  };

  const changeVisibility = (queue: StoredQueue, handle: unknown, seconds: unknown) => {
    const timeout = Number(seconds);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43_200) throw invalidParameter(`Value ${String(seconds)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    const message = byReceiptHandle(queue, handle);
    if (!message) throw new SqsError('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'The message referred to is not in flight.');
    message.visibleAt = now() + timeout * 1000;
    message.held = undefined;
    persist(queue, { put: message });
    if (timeout === 0) wakeReceivers(queue);
  };

  const batch = <T extends { Id?: unknown }>(entries: unknown, run: (entry: T) => Record<string, unknown> | void) => {
    if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one entry in the request.');
    if (entries.length > MAX_BATCH) throw new SqsError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
    const ids = entries.map((entry: T) => entry.Id);
    if (new Set(ids).size !== ids.length) throw new SqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    const Successful: Record<string, unknown>[] = [];
    const Failed: Record<string, unknown>[] = [];
    for (const entry of entries as T[]) {
      try {
        Successful.push({ Id: entry.Id, ...(run(entry) ?? {}) });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        Failed.push({ Id: entry.Id, Code: error.type, Message: error.message, SenderFault: true });
      }
    }
    return { Successful, Failed };
  };

  const actions: Record<string, (input: Record<string, unknown>, closed: Promise<void>) => unknown> = {
    CreateQueue: (input) => ({ QueueUrl: createQueue(String(input.QueueName), (input.Attributes ?? {}) as Record<string, string>) }),
    GetQueueUrl: (input) => ({ QueueUrl: urlOf(queueFor({ QueueUrl: `/${String(input.QueueName)}` }).name) }),
    GetQueueAttributes: (input) => {
      const queue = queueFor(input);
      expire(queue);
      const at = now();
      const all: Record<string, string> = {
        ...queue.attributes,
        QueueArn: arnOf(queue.name),
        FifoQueue: String(queue.fifo),
        ApproximateNumberOfMessages: String(queue.messages.filter((message) => message.visibleAt <= at).length),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((message) => inFlight(message, at)).length),
        ApproximateNumberOfMessagesDelayed: String(queue.messages.filter((message) => message.visibleAt > at && !message.receiptHandle).length),
      };
      const names = asStrings(input.AttributeNames);
      return { Attributes: names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name))) };
    },
    SetQueueAttributes: (input) => {
      const queue = queueFor(input);
      Object.assign(queue.attributes, input.Attributes);
      persist(queue, { attributes: queue.attributes, fifo: queue.fifo });
      return {};
    },
    SendMessage: (input) => sendMessage(queueFor(input), input),
    SendMessageBatch: (input) => {
      const queue = queueFor(input);
      return batch<Record<string, unknown>>(input.Entries, (entry) => sendMessage(queue, entry));
    },
    ReceiveMessage: (input, closed) => receiveMessage(queueFor(input), input, closed),
    DeleteMessage: (input) => {
      deleteMessage(queueFor(input), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = queueFor(input);
      return batch<{ Id?: unknown; ReceiptHandle?: unknown }>(input.Entries, (entry) => deleteMessage(queue, entry.ReceiptHandle));
    },
    ChangeMessageVisibility: (input) => {
      changeVisibility(queueFor(input), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },
    ChangeMessageVisibilityBatch: (input) => {
      const queue = queueFor(input);
      return batch<{ Id?: unknown; ReceiptHandle?: unknown; VisibilityTimeout?: unknown }>(input.Entries, (entry) =>
        changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout),
      );
    },
    StartMessageMoveTask: (input) => startMoveTask(input),
    ListMessageMoveTasks: (input) => {
      const source = queueByArn(input.SourceArn, 'SourceArn');
      const max = input.MaxResults === undefined ? 1 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 10) throw invalidParameter(`Value ${String(input.MaxResults)} for parameter MaxResults is invalid. Reason: Must be between 1 and 10, if provided.`);
      // Newest first; only a running task has a handle (it can be cancelled).
      const results = (moveTasks.get(arnOf(source.name)) ?? []).slice(0, max).map(({ TaskHandle, ...task }) => ({ ...task, ...(task.Status === 'RUNNING' ? { TaskHandle } : {}) }));
      return { Results: results };
    },
    PurgeQueue: (input) => {
      const queue = queueFor(input);
      queue.messages = [];
      persist(queue, { purge: true });
      return {};
    },
  };

  const moveTasks = new Map<string, MoveTask[]>();
  const queueByArn = (arn: unknown, name: string): StoredQueue => {
    const queue = typeof arn === 'string' && arn.startsWith(`arn:aws:sqs:${REGION}:${ACCOUNT}:`) ? queues.get(arn.split(':').at(-1)!) : undefined;
    if (!queue) throw new SqsError('ResourceNotFoundException', 'ResourceNotFoundException', `The resource that you specified for the ${name} parameter doesn't exist.`);
    return queue;
  };

  /**
   * Moves the visible messages of a dead-letter queue, as they are when the
   * task starts, to its destination (or each to the queue it came from), one
   * by one on later turns of the event loop, at MaxNumberOfMessagesPerSecond
   * when given: asynchronous, as SQS's task is.
   */
  const startMoveTask = (input: Record<string, unknown>) => {
    const source = queueByArn(input.SourceArn, 'SourceArn');
    const sourceArn = arnOf(source.name);
    const isDeadLetterQueue = [...queues.values()].some((queue) => queue.attributes.RedrivePolicy && (JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn: string }).deadLetterTargetArn === sourceArn);
    if (!isDeadLetterQueue) throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    const destination = input.DestinationArn === undefined ? undefined : queueByArn(input.DestinationArn, 'DestinationArn');
    const rate = input.MaxNumberOfMessagesPerSecond === undefined ? undefined : Number(input.MaxNumberOfMessagesPerSecond);
    if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1 && rate <= 500)) throw invalidParameter('Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.');
    if (destination && destination.fifo !== source.fifo) throw invalidParameter('The source queue and the destination queue must be of the same type.');
    const tasks = moveTasks.get(sourceArn) ?? [];
    if (tasks.some((task) => task.Status === 'RUNNING')) throw new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    expire(source);
    const at = now();
    const toMove = source.messages.filter((message) => message.visibleAt <= at);
    const task: MoveTask = {
      TaskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      Status: 'RUNNING',
      SourceArn: sourceArn,
      DestinationArn: destination ? arnOf(destination.name) : undefined,
      ApproximateNumberOfMessagesMoved: 0,
      ApproximateNumberOfMessagesToMove: toMove.length,
      StartedTimestamp: at,
    };
    moveTasks.set(sourceArn, [task, ...tasks].slice(0, 10));
    const moveNext = () => {
      if (task.Status !== 'RUNNING') return;
      const message = toMove.shift();
      if (!message) {
        task.Status = 'COMPLETED';
        return;
      }
      if (source.messages.includes(message) && !inFlight(message, now())) {
        const target = destination ?? (message.deadLetterSourceArn ? queues.get(message.deadLetterSourceArn.split(':').at(-1)!) : undefined);
        if (!target) {
          task.Status = 'FAILED';
          task.FailureReason = 'AWS.SimpleQueueService.MessageMoveTask.DestinationNotFound: a message has no source queue to return to; give a DestinationArn';
          return;
        }
        // A new message in its destination: sent as a producer would, with its body, group, deduplication id and attributes.
        sendMessage(target, {
          MessageBody: message.body,
          ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
          ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
          ...(message.messageAttributes ? { MessageAttributes: message.messageAttributes } : {}),
        });
        source.messages = source.messages.filter((candidate) => candidate !== message);
        persist(source, { delete: message.messageId });
        task.ApproximateNumberOfMessagesMoved += 1;
      }
      next();
    };
    // At the rate asked for, else as fast as it goes.
    const next = () => (rate === undefined ? setImmediate(moveNext) : setTimeout(moveNext, 1000 / rate));
    next();
    return { TaskHandle: task.TaskHandle };
  };

  let closing = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void readBody(request).then(async (raw) => {
      const target = request.headers['x-amz-target'];
      const action = typeof target === 'string' && target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const run = actions[action];
      try {
        if (!run) throw new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `The action ${action || String(target)} is not valid for this endpoint.`);
        const input = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        const output = await run(input, closed);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(output));
      } catch (error) {
        const failure = error instanceof SqsError ? error : new SqsError('InternalError', 'InternalError', String(error), 500);
        response.writeHead(failure.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${failure.queryCode};Sender` });
        response.end(JSON.stringify({ __type: `com.amazonaws.sqs#${failure.type}`, message: failure.message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** An action as the endpoint runs it; its errors are the endpoint's, not the SDK's (Lambda's poller only logs them). */
  const call = (action: string, input: object): Promise<unknown> => Promise.resolve().then(() => actions[action]!(input as Record<string, unknown>, closed));
  return {
    endpoint,
    pollerApi: {
      receiveMessage: async (input) => (await call('ReceiveMessage', input)) as { Messages?: Message[] },
      deleteMessageBatch: async (input) => (await call('DeleteMessageBatch', input)) as { Failed?: BatchResultErrorEntry[] },
    },
    createQueue,
    queueUrl: urlOf,
    queueArn: arnOf,
    messages: (name) => {
      const at = now();
      return (queues.get(name)?.messages ?? []).map((message) => ({
        body: message.body,
        groupId: message.groupId,
        receiveCount: message.receiveCount,
        inFlight: inFlight(message, at),
        messageAttributes: message.messageAttributes,
      }));
    },
    close: async () => {
      closing = true;
      markClosed();
      store.compact(queues);
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One change to a queue, as the journal keeps it. */
type JournalChange =
  | { readonly attributes: Record<string, string>; readonly fifo: boolean }
  | { readonly put: StoredMessage; readonly deduplicated?: readonly [string, StoredQueue['deduplication'][string]] }
  | { readonly delete: string }
  | { readonly purge: true };

/** Past this size, the journal is folded into the snapshot and emptied. */
const MAX_JOURNAL_BYTES = 8 * 1024 * 1024;

/**
 * The queues on disk: a snapshot, and a journal of the changes since, one
 * JSON line each, appended as they happen (cheap, and a crash loses nothing
 * that was answered). Start-up replays the journal onto the snapshot, then
 * writes a fresh snapshot; so does a clean close.
 */
class QueueFile {
  private journalBytes = 0;

  constructor(private readonly dataFile: string | undefined) {}

  load(): Map<string, StoredQueue> {
    const queues = new Map<string, StoredQueue>();
    if (!this.dataFile) return queues;
    if (existsSync(this.dataFile)) for (const [name, queue] of Object.entries(JSON.parse(readFileSync(this.dataFile, 'utf8')) as Record<string, StoredQueue>)) queues.set(name, queue);
    const journal = `${this.dataFile}.journal`;
    if (existsSync(journal)) {
      const lines = readFileSync(journal, 'utf8').split('\n').filter((line) => line.trim() !== '');
      lines.forEach((line, index) => {
        try {
          applyChange(queues, JSON.parse(line) as { q: string } & JournalChange);
        } catch (error) {
          // A last line cut short by a crash mid-write is the one change that was never answered; any other is damage.
          if (index < lines.length - 1) throw error;
        }
      });
    }
    this.compact(queues);
    return queues;
  }

  append(name: string, change: JournalChange): void {
    if (!this.dataFile) return;
    const line = `${JSON.stringify({ q: name, ...change })}\n`;
    appendFileSync(`${this.dataFile}.journal`, line);
    this.journalBytes += line.length;
  }

  /** Writes the snapshot (aside, then renamed: a crash mid-write must not leave half a file) and empties the journal. */
  compact(queues: Map<string, StoredQueue>): void {
    if (!this.dataFile) return;
    mkdirSync(path.dirname(this.dataFile), { recursive: true });
    const staging = `${this.dataFile}.${process.pid}.tmp`;
    writeFileSync(staging, JSON.stringify(Object.fromEntries(queues)));
    renameSync(staging, this.dataFile);
    writeFileSync(`${this.dataFile}.journal`, '');
    this.journalBytes = 0;
  }

  get needsCompaction(): boolean {
    return this.journalBytes > MAX_JOURNAL_BYTES;
  }
}

function applyChange(queues: Map<string, StoredQueue>, change: { q: string } & JournalChange): void {
  const queue = queues.get(change.q);
  if ('attributes' in change) {
    if (queue) queue.attributes = change.attributes;
    else queues.set(change.q, { name: change.q, fifo: change.fifo, attributes: change.attributes, messages: [], deduplication: {}, sequence: 0 });
    return;
  }
  if (!queue) return;
  if ('purge' in change) queue.messages = [];
  if ('delete' in change) queue.messages = queue.messages.filter((message) => message.messageId !== change.delete);
  if ('put' in change) {
    const index = queue.messages.findIndex((message) => message.messageId === change.put.messageId);
    if (index >= 0) queue.messages[index] = change.put;
    else queue.messages.push(change.put);
    if (change.put.sequenceNumber) queue.sequence = Math.max(queue.sequence, Number(change.put.sequenceNumber));
    if (change.deduplicated) queue.deduplication[change.deduplicated[0]] = change.deduplicated[1];
  }
}

const withinDeduplicationWindow = (seen: { readonly at: number }, at: number) => at - seen.at < FIFO_DEDUPLICATION_WINDOW_MS;

function md5(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export interface DeliveryQueues {
  readonly deliveries: { readonly url: string; readonly arn: string };
  readonly deadLetters: { readonly url: string; readonly arn: string };
  /** The reminders' delay queue (standard) and its dead-letter queue. */
  readonly reminders: { readonly url: string; readonly arn: string };
  readonly reminderDeadLetters: { readonly url: string; readonly arn: string };
}

/**
 * Creates the delivery queue, the reminders' delay queue and their dead-letter queues unless they exist,
 * shaped as the CDK stack shapes them; a queue kept from an earlier version
 * with other settings gets these, as a deploy would give them.
 */
export async function ensureDeliveryQueues(client: SQSClient, prefix: string, giveUpMs = Number(SETTINGS.deliveryGiveUpMinutes.default) * 60_000): Promise<DeliveryQueues> {
  const create = async (name: string, attributes: Record<string, string>) => {
    let url: string;
    try {
      url = (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...(name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}), ...attributes } }))).QueueUrl!;
    } catch (error) {
      if (!(error instanceof QueueNameExists)) throw error;
      url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
      await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    }
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: Attributes!.QueueArn! };
  };
  const deadLetters = await create(`${prefix}-dead-letters.fifo`, { MessageRetentionPeriod: String(DELIVERY_QUEUE.deadLetterRetentionSeconds) });
  const deliveries = await create(`${prefix}-deliveries.fifo`, {
    VisibilityTimeout: String(DELIVERY_QUEUE.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(DELIVERY_QUEUE.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: deliveryRetries(giveUpMs).maxReceiveCount }),
  });
  const reminderDeadLetters = await create(`${prefix}-reminder-dead-letters`, { MessageRetentionPeriod: String(REMINDER_QUEUE.deadLetterRetentionSeconds) });
  const reminders = await create(`${prefix}-reminders`, {
    VisibilityTimeout: String(REMINDER_QUEUE.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(REMINDER_QUEUE.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: reminderDeadLetters.arn, maxReceiveCount: REMINDER_QUEUE.maxReceiveCount }),
  });
  return { deliveries, deadLetters, reminders, reminderDeadLetters };
}

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { correlationAttribute } from './sqs-queue';
import * as v from 'valibot';
import type { JobQueue, Log, Reminder, ReminderTimer } from '../domain/ports';
import { reminderDue } from '../domain/reminders';
import { callDownstream } from '../platform/errors';

/*
 * The reminders' timer: a standard SQS queue whose messages wait out a
 * per-message delay (DelaySeconds, at most 15 minutes), chosen over
 * EventBridge Scheduler's one-time schedules because it needs no other
 * service, no IAM role for a scheduler to assume, no schedules to clean up,
 * and has a stand-in that keeps messages across restarts (npm start). A
 * reminder due later than 15 minutes waits out its delay in steps: received
 * early, it is sent again for the rest. Standard SQS may hand a message back
 * twice; the job it becomes is keyed, so the thread sees it once.
 */

/** SQS's longest per-message delay. */
const MAX_DELAY_SECONDS = 900;

const ReminderMessage = v.object({ conversationId: v.string(), since: v.number(), n: v.number(), dueAt: v.number() });

export function sqsReminderTimer(client: SQSClient, queueUrl: string, options: { readonly now?: () => number; readonly correlationId?: () => string | undefined } = {}): ReminderTimer {
  const now = options.now ?? Date.now;
  return {
    remindAt: async (reminder, dueAt) => {
      const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now()) / 1000)));
      await callDownstream('sqs', 'set a reminder', () =>
        client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ ...reminder, dueAt }), DelaySeconds: delaySeconds, ...correlationAttribute(options.correlationId) })),
      );
    },
  };
}

/**
 * The reminder queue's batch, in the delivery function: each due reminder
 * onto the conversation's queue group, each early one back to wait the rest;
 * a failure is reported for that message alone (SQS hands it back). A body
 * that is no reminder is dropped, logged: nothing the bridge wrote.
 */
export async function processReminderBatch(
  event: SQSEvent,
  deps: { readonly queue: JobQueue; readonly timer: ReminderTimer; readonly logger: Log; readonly now?: () => number; readonly correlate?: (record: SQSRecord) => void },
): Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    deps.correlate?.(record);
    let parsed: v.InferOutput<typeof ReminderMessage>;
    try {
      parsed = v.parse(ReminderMessage, JSON.parse(record.body));
    } catch {
      deps.logger.error('a reminder message is not one; dropped', { messageId: record.messageId });
      continue;
    }
    const { dueAt, ...reminder } = parsed;
    try {
      if (dueAt > now() + 1_000) await deps.timer.remindAt(reminder satisfies Reminder, dueAt);
      else await reminderDue(reminder, deps);
    } catch (error) {
      deps.logger.warn('could not hand a reminder on; SQS gives it back', { messageId: record.messageId, conversationId: reminder.conversationId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { PROJECT_ROOT } from './bundling';

/*
 * `npm run redrive`: moves what the bridge gave up on back to its queue, once
 * the cause is fixed, with SQS's own move task (StartMessageMoveTask), and
 * waits until it is done. The queues' ARNs come from the stack's outputs,
 * which `cdk deploy` writes to cdk-outputs.json (cdk.json: outputsFile). Each
 * message the delivery function gave up on carries its reason and when it
 * was given up; a redriven one gets a fresh give-up time (delivery-batch.ts).
 */

export interface RedriveResult {
  readonly status: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'RUNNING' | 'NOTHING_TO_MOVE';
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string | undefined;
}

/** The queues a redrive moves between, by the stack outputs that name them. */
export const REDRIVES = {
  deliveries: { from: 'DeadLettersArn', to: 'DeliveriesArn' },
  reminders: { from: 'ReminderDeadLettersArn', to: 'RemindersArn' },
} as const;

/** Starts a move task from a dead-letter queue to `destinationArn` and waits for its end, or `timeoutMs`. */
export async function redrive(
  client: SQSClient,
  queues: { readonly sourceArn: string; readonly destinationArn: string },
  options: { readonly pollMs?: number; readonly timeoutMs?: number } = {},
): Promise<RedriveResult> {
  const sourceUrl = await queueUrlOf(client, queues.sourceArn);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  if (Number(Attributes?.ApproximateNumberOfMessages ?? 0) === 0) return { status: 'NOTHING_TO_MOVE', moved: 0, toMove: 0 };
  // The destination is given: the bridge puts what it gives up on in the dead-letter queue itself, so SQS has no source on record.
  const { TaskHandle } = await client.send(new StartMessageMoveTaskCommand({ SourceArn: queues.sourceArn, DestinationArn: queues.destinationArn }));
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const { Results } = await client.send(new ListMessageMoveTasksCommand({ SourceArn: queues.sourceArn, MaxResults: 10 }));
    // Ours is the newest; a running task lists its handle.
    const task = Results?.find((candidate) => candidate.TaskHandle === TaskHandle) ?? Results?.[0];
    const result = { moved: task?.ApproximateNumberOfMessagesMoved ?? 0, toMove: task?.ApproximateNumberOfMessagesToMove ?? 0, failureReason: task?.FailureReason };
    if (task?.Status && task.Status !== 'RUNNING') return { status: task.Status as RedriveResult['status'], ...result };
    if (Date.now() >= deadline) return { status: 'RUNNING', ...result };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
  }
}

/** A queue's URL from its ARN (arn:aws:sqs:region:account:name). */
async function queueUrlOf(client: SQSClient, arn: string): Promise<string> {
  const [, , , , account, name] = arn.split(':');
  if (!account || !name) throw new Error(`not a queue ARN: ${arn}`);
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  return QueueUrl!;
}

/** The stack's outputs from the file `cdk deploy` wrote: { StackName: { OutputKey: value } }. */
export async function stackOutputs(file: string, stackName: string): Promise<Record<string, string>> {
  let parsed: Record<string, Record<string, string>>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, string>>;
  } catch (error) {
    throw new Error(`cannot read the stack's outputs from ${file} (${(error as Error).message}): run npx cdk deploy first, or give --from and --to`, { cause: error });
  }
  const outputs = parsed[stackName];
  if (!outputs) throw new Error(`${file} has no stack named ${stackName} (it has ${Object.keys(parsed).join(', ') || 'none'}): give --stack`);
  return outputs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string', default: 'BotpressSlackHitl' },
      outputs: { type: 'string', default: path.join(PROJECT_ROOT, 'cdk-outputs.json') },
      reminders: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const which = values.reminders ? REDRIVES.reminders : REDRIVES.deliveries;
  const outputs = values.from && values.to ? {} : await stackOutputs(values.outputs, values.stack);
  const sourceArn = values.from ?? outputs[which.from];
  const destinationArn = values.to ?? outputs[which.to];
  if (!sourceArn || !destinationArn) throw new Error(`the stack's outputs lack ${which.from} or ${which.to}: deploy this version first`);
  const client = new SQSClient({ region: sourceArn.split(':')[3] });
  console.warn(`Moving the dead letters of ${sourceArn} back to ${destinationArn}…`);
  const result = await redrive(client, { sourceArn, destinationArn });
  console.warn(
    result.status === 'NOTHING_TO_MOVE'
      ? 'Nothing to move: the dead-letter queue is empty (or its messages are being read).'
      : `${result.status}: ${result.moved} of ${result.toMove} moved${result.failureReason ? ` (${result.failureReason})` : ''}.`,
  );
  if (result.status !== 'COMPLETED' && result.status !== 'NOTHING_TO_MOVE') process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}

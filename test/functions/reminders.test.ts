import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_ACTION_ID, RELEASE_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { SUPPORT_CHANNEL_ID, startHttpBridge, type BridgeHarness, type HttpHandler } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * Reminders of an unclaimed handoff through the real handlers: the timer is
 * the reminder queue (a standard SQS queue whose messages wait their delay)
 * on the embedded SQS, handed to the delivery function as Lambda's event
 * source would, then posted in the thread in its turn.
 */
// Whole seconds: SQS delays are counted in seconds.
const INTERVAL_MS = 2_000;
const MENTION = '<!subteam^S0SUPPORT>';
let bridge: BridgeHarness;
let slackHandler: HttpHandler;
let botpressHandler: HttpHandler;
let n = 0;

beforeAll(async () => {
  ({ bridge, slackHandler, botpressHandler } = await startHttpBridge({ HANDOFF_REMINDER_MINUTES: String(INTERVAL_MS / 60_000), SLACK_ESCALATION_MENTION: MENTION }));
});
afterAll(() => bridge.close());
beforeEach(() => {
  bridge.slack.calls.length = 0;
});

async function openHandoff(): Promise<{ conversationId: string; threadTs: string }> {
  const conversationId = `conv-remind-${(n += 1)}`;
  const response = await botpressHandler(botpressRequest('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Needs a human' }));
  const threadTs = (JSON.parse(response.body!) as { threadTs: string }).threadTs;
  await bridge.runDeliveries();
  return { conversationId, threadTs };
}

const press = (actionId: string, conversationId: string, threadTs: string) =>
  slackHandler(signedSlackRequest(buttonPress({ actionId, value: conversationId, user: AGENT, messageTs: threadTs }), { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }));
const remindersIn = (threadTs: string) => bridge.slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threadTs && String(call.args.text).includes(':bell:'));
/** Waits one interval, then runs what is due: the reminder queue's batch, then the deliveries it queued. */
async function nextInterval(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 300));
  await bridge.runReminders();
  await bridge.runDeliveries();
}

describe('reminders of a handoff nobody claims', () => {
  it('reminds three times, an interval apart, mentioning the escalation group, and shows on the card how long the customer has waited; then stops', async () => {
    const { threadTs } = await openHandoff();
    for (let round = 1; round <= 3; round += 1) {
      await nextInterval();
      expect(remindersIn(threadTs)).toHaveLength(round);
    }
    expect(String(remindersIn(threadTs)[0]!.args.text)).toMatch(/^<!subteam\^S0SUPPORT> :bell: Nobody has claimed this handoff: the customer has waited since <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/);
    const card = bridge.slack.callsTo('chat.update').filter((call) => call.args.ts === threadTs).at(-1)!;
    expect(JSON.stringify(card.args.blocks)).toMatch(/Waiting for an agent since <!date\^\d+\^\{time\}/);
    await nextInterval();
    await nextInterval();
    expect(remindersIn(threadTs)).toHaveLength(3);
  }, 30_000);

  it('says nothing once an agent claims; a release starts the reminders over', async () => {
    const { conversationId, threadTs } = await openHandoff();
    expect((await press(CLAIM_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    await bridge.runDeliveries();
    await nextInterval();
    expect(remindersIn(threadTs)).toEqual([]);

    expect((await press(RELEASE_ACTION_ID, conversationId, threadTs)).statusCode).toBe(200);
    await bridge.runDeliveries();
    await nextInterval();
    expect(remindersIn(threadTs)).toHaveLength(1);
    // The first round's later reminders, had they been set, would find it claimed then released since: none doubles up.
    await nextInterval();
    expect(remindersIn(threadTs)).toHaveLength(2);
  }, 30_000);

  it('keeps the reminder queue to the timer: a message that is no reminder is dropped, and the batch goes on', async () => {
    const { threadTs } = await openHandoff();
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const { createSqsClient } = await import('../../shared/aws/sqs-queue');
    const client = createSqsClient({ endpoint: bridge.sqs.endpoint });
    await client.send(new SendMessageCommand({ QueueUrl: bridge.queues.reminders.url, MessageBody: '{"not":"a reminder"}' }));
    client.destroy();
    await nextInterval();
    expect(remindersIn(threadTs)).toHaveLength(1);
    expect(bridge.sqs.messages(bridge.queues.reminders.url.split('/').at(-1)!).filter((message) => message.body.includes('not'))).toEqual([]);
    expect(SUPPORT_CHANNEL_ID).toBe(remindersIn(threadTs)[0]!.args.channel);
  }, 30_000);
});

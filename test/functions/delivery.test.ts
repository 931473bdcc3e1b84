import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeJob } from '../../shared/domain/delivery/jobs';

import type { HttpResponse } from '../../shared/platform/http';
import { AGENT, SUPPORT_CHANNEL, eventCallback, threadReply } from '../fixtures/slack-events';
import { seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * The delivery function, as Lambda runs it from the FIFO queue: the agent's
 * reply goes in through the Slack function, the harness plays the event source.
 * Time is moved with a fake Date (timers stay real): the queue's visibility,
 * SQS's SentTimestamp and the function's clock move together.
 */
let bridge: BridgeHarness;
let slackEvents: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let n = 0;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  slackEvents = await bridge.loadHandler('../../functions/slack-events/handler');
});
afterAll(() => bridge.close());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  Object.assign(bridge.botpress, { status: 200, delayMs: 0, retryAfterSeconds: undefined, statusFor: undefined });
  bridge.botpress.received.length = 0;
  bridge.botpress.delivered.length = 0;
  bridge.slack.calls.length = 0;
});
afterEach(async () => {
  // A test's leftovers, delivered or given up now rather than inside the next test.
  Object.assign(bridge.botpress, { status: 200, statusFor: undefined });
  vi.setSystemTime(Date.now() + 20 * 60_000);
  await bridge.runDeliveries();
  vi.useRealTimers();
});

const later = (ms: number) => vi.setSystemTime(Date.now() + ms);
const LOST = ':warning: Your reply above did not reach the customer: the bot could not be reached. Please send it again.';

async function openThread(): Promise<{ conversationId: string; threadTs: string }> {
  n += 1;
  const threadTs = `1717600000.${String(n).padStart(6, '0')}`;
  const conversationId = `conv-delivery-${n}`;
  await seedHandoff(bridge.store, conversationId, threadTs);
  return { conversationId, threadTs };
}

async function agentWrites(threadTs: string, text: string): Promise<Record<string, unknown>> {
  const reply = threadReply(text, { threadTs });
  expect((await slackEvents(signedSlackRequest(JSON.stringify(eventCallback(reply))))).statusCode).toBe(200);
  return reply;
}

const deliveredTexts = () => bridge.botpress.deliveredBodies().map((body) => (body as { text?: string }).text);
const threadPosts = (threadTs: string) => bridge.slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === threadTs);

describe('the delivery function', () => {
  it('retries a failing Botpress with growing delays, then delivers once', async () => {
    const { threadTs } = await openThread();
    await agentWrites(threadTs, 'try again');
    bridge.botpress.status = 503;
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(1);
    // The first retry waits 2 s: not visible before.
    later(1_900);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(1);
    later(200);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(2);
    // The second, 4 s.
    bridge.botpress.status = 200;
    later(3_900);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(2);
    later(200);
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['try again']);
    later(60_000);
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(3);
  });

  it("waits as long as Botpress's Retry-After says, not less", async () => {
    const { threadTs } = await openThread();
    await agentWrites(threadTs, 'when you can');
    Object.assign(bridge.botpress, { status: 429, retryAfterSeconds: 30 });
    await bridge.runDeliveries();
    bridge.botpress.status = 200;
    later(29_000);
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(0);
    later(1_100);
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['when you can']);
  });

  it('gives a Botpress that takes 5 s and accepts the reply once', async () => {
    vi.useRealTimers();
    const { threadTs } = await openThread();
    await agentWrites(threadTs, 'slow but fine');
    bridge.botpress.delayMs = 5_000;
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(1);
    expect(deliveredTexts()).toEqual(['slow but fine']);
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  }, 20_000);

  it('keeps a conversation’s replies in the order written while it retries, and holds up no other conversation', async () => {
    const failing = await openThread();
    const healthy = await openThread();
    bridge.botpress.statusFor = (body) => (body.conversationId === failing.conversationId ? 503 : 200);
    await agentWrites(failing.threadTs, 'first');
    later(1_000);
    await agentWrites(failing.threadTs, 'second');
    await agentWrites(healthy.threadTs, 'meanwhile');
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['meanwhile']);
    // Only the head of the failing group was tried: the one behind it waits in order.
    expect(bridge.botpress.received.filter((request) => request.rawBody.includes(failing.conversationId))).toHaveLength(1);

    bridge.botpress.statusFor = undefined;
    later(2_100);
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['meanwhile', 'first', 'second']);
  });

  it('tells the agent in the thread when a reply is not through after a minute, and says so again when it is', async () => {
    const { threadTs } = await openThread();
    await agentWrites(threadTs, 'are you there?');
    bridge.botpress.status = 502;
    for (let waited = 0; waited < 70_000; waited += 10_000) {
      await bridge.runDeliveries();
      later(10_000);
    }
    const [notice] = threadPosts(threadTs);
    expect(notice?.args.text).toBe(':hourglass_flowing_sand: Your reply has not reached the customer yet; the bridge is still trying.');
    expect(threadPosts(threadTs)).toHaveLength(1);

    bridge.botpress.status = 200;
    later(60_000);
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['are you there?']);
    const update = bridge.slack.callsTo('chat.update').find((call) => call.args.channel === SUPPORT_CHANNEL && String(call.args.text).includes('reached the customer'));
    expect(update?.args).toMatchObject({ text: expect.stringMatching(/^:white_check_mark: Your reply reached the customer, \d+ min late\.$/) as string });
    // The update edits that notice: its ts is the one chat.postMessage answered.
    expect(threadPosts(threadTs)).toHaveLength(1);
  });

  it('gives up after 15 minutes: the notice says the reply was lost, the message goes to the dead-letter queue, and the next reply goes on', async () => {
    const { threadTs } = await openThread();
    const written = Date.now();
    await agentWrites(threadTs, 'lost one');
    later(30_000);
    await agentWrites(threadTs, 'next one');
    bridge.botpress.status = 503;
    // Another test may have left its own dead letters: this one waits for its own.
    const before = bridge.queued().deadLetters.length;
    for (;;) {
      await bridge.runDeliveries();
      if (bridge.queued().deadLetters.length > before) break;
      later(5_000);
    }
    expect(Date.now() - written).toBeGreaterThanOrEqual(15 * 60_000);
    expect(Date.now() - written).toBeLessThan(15 * 60_000 + 10_000);
    const deadLetters = bridge.queued().deadLetters.slice(before);
    expect(deadLetters.map((body) => decodeJob(body))).toEqual([expect.objectContaining({ kind: 'agent-reply', reply: expect.objectContaining({ markup: 'lost one' }) as unknown })]);
    expect(bridge.slack.callsTo('chat.update').map((call) => call.args.text)).toContain(LOST);

    // The reply behind it is retried before its own deadline, 30 s later, and goes through now that Botpress is back.
    bridge.botpress.status = 200;
    later(30_000);
    await bridge.runDeliveries();
    expect(deliveredTexts()).toEqual(['next one']);
    expect(bridge.queued().deadLetters).toHaveLength(before + 1);
  });

  it('gives up at once on a refusal retrying cannot change (a wrong webhook URL answers 404)', async () => {
    const { threadTs } = await openThread();
    const before = bridge.queued().deadLetters.length;
    await agentWrites(threadTs, 'to nowhere');
    bridge.botpress.status = 404;
    await bridge.runDeliveries();
    expect(bridge.botpress.received).toHaveLength(1);
    expect(bridge.queued().deliveries).toEqual([]);
    expect(bridge.queued().deadLetters.slice(before).map((body) => decodeJob(body).kind)).toEqual(['agent-reply']);
    expect(threadPosts(threadTs).map((call) => call.args.text)).toEqual([LOST]);
  });

  it('never sends a reply Botpress accepted again, though its message is received again (a lost delete)', async () => {
    const { threadTs } = await openThread();
    await agentWrites(threadTs, 'exactly once');
    // The ledger says done; a copy of the message (the event source's delete lost, a redrive) changes nothing.
    await bridge.runDeliveries();
    const [job] = bridge.botpress.deliveredBodies() as { messageTs: string }[];
    const sqs = await import('@aws-sdk/client-sqs');
    const client = new sqs.SQSClient({ endpoint: bridge.sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const reply = { eventId: 'Ev1', channelId: SUPPORT_CHANNEL, threadTs, messageTs: job!.messageTs, userId: AGENT, markup: 'exactly once' };
    const conversationId = (bridge.botpress.deliveredBodies()[0] as { conversationId: string }).conversationId;
    await client.send(
      new sqs.SendMessageCommand({
        QueueUrl: bridge.queues.deliveries.url,
        MessageBody: JSON.stringify({ kind: 'agent-reply', key: ['slack-message', SUPPORT_CHANNEL, job!.messageTs], conversationId, reply }),
        MessageGroupId: 'copy',
        MessageDeduplicationId: 'copy-1',
      }),
    );
    client.destroy();
    await bridge.runDeliveries();
    expect(bridge.botpress.delivered).toHaveLength(1);
  });

  it('keeps a message that is no delivery job in the dead-letter queue, with the reason', async () => {
    const sqs = await import('@aws-sdk/client-sqs');
    const client = new sqs.SQSClient({ endpoint: bridge.sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new sqs.SendMessageCommand({ QueueUrl: bridge.queues.deliveries.url, MessageBody: '{"kind":"nonsense"}', MessageGroupId: 'junk', MessageDeduplicationId: 'junk-1' }));
    client.destroy();
    await bridge.runDeliveries();
    const dead = bridge.sqs.messages(bridge.queues.deadLetters.url.split('/').at(-1)!).find((message) => message.body === '{"kind":"nonsense"}');
    expect(dead?.messageAttributes).toMatchObject({ failureReason: { StringValue: expect.stringContaining('not a delivery job') as string } });
  });
});

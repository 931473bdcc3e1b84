import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SIZING, DELIVERY_QUEUE } from '../../infra/bundling';
import { startSqsEventSource, type SqsEventSource } from '../../local/event-source';
import { createSqsClient } from '../../shared/aws/sqs-queue';
import { startHttpBridge, type BridgeHarness, type HttpHandler } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';

/*
 * A busy hour on two channels, through the real handlers, the queue and the
 * delivery function's pollers side by side (as Lambda runs several), against
 * the Slack stand-in paced as Slack paces: one post a second per channel,
 * bursts of three, 429 with Retry-After past it. The bridge keeps to Slack's
 * pace with SLACK_POST_PACE's default, shared by every poller (and every
 * container in AWS) through the table.
 */
const CHANNELS = { billing: 'C0BUSY0001', tech: 'C0BUSY0002' } as const;
let bridge: BridgeHarness;
let botpressHandler: HttpHandler;
let pollers: SqsEventSource;

beforeAll(async () => {
  ({ bridge, botpressHandler } = await startHttpBridge({
    SLACK_QUEUE_CHANNELS: `billing=${CHANNELS.billing},tech=${CHANNELS.tech}`,
    // Slack's own pace, not the tests' (vitest.config.ts): this test is about it.
    SLACK_POST_PACE: '0.95,3',
  }));
  bridge.slack.postLimit = { perSecond: 1, burst: 3 };
  const { handler } = (await import('../../functions/delivery/handler')) as { handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> };
  pollers = startSqsEventSource({
    client: createSqsClient({ endpoint: bridge.sqs.endpoint, requestTimeoutMs: 5_000 }),
    queueUrl: bridge.queues.deliveries.url,
    queueArn: bridge.queues.deliveries.arn,
    handler,
    timeoutMs: FUNCTION_SIZING.delivery.timeoutSeconds * 1000,
    batchSize: DELIVERY_QUEUE.batchSize,
    concurrency: 4,
  });
});
afterAll(async () => {
  await pollers?.stop();
  await bridge?.close();
});

const botpress = async (path: string, body: Record<string, unknown>) => JSON.parse((await botpressHandler(botpressRequest(path, body))).body!) as Record<string, unknown>;

describe('two busy channels, Slack’s pace shared by every poller', () => {
  it('puts every conversation’s card, transcript and messages in its thread, in order, once, in its queue’s channel, with no 429 from Slack and nothing given up', async () => {
    const conversations = Array.from({ length: 8 }, (_, n) => ({ conversationId: `conv-busy-${n}`, queue: n % 2 === 0 ? 'billing' : 'tech' }) as const);
    // All at once: four cards a channel, where Slack takes three at once and then one a second.
    const opened = await Promise.all(
      conversations.map(({ conversationId, queue }) =>
        botpress('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Busy day', queue, transcript: [{ role: 'user', text: `history of ${conversationId}` }] }),
      ),
    );
    for (const answer of opened) expect(['created', 'queued']).toContain(answer.status);
    await Promise.all(
      conversations.map(async ({ conversationId }) => {
        for (const k of [1, 2]) expect(await botpress('/botpress/message', { conversationId, text: `${conversationId} says ${k}`, messageId: `${conversationId}-${k}` })).toEqual({ handoffActive: true });
      }),
    );

    const posts = () => bridge.slack.callsTo('chat.postMessage');
    // 8 cards, 8 transcripts, 16 messages on two channels at about one a second each: some 16 s.
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && posts().length < 32) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(posts()).toHaveLength(32);

    for (const { conversationId, queue } of conversations) {
      const card = posts().find((call) => call.args.thread_ts === undefined && JSON.stringify(call.args.blocks ?? '').includes(conversationId))!;
      expect(card.args.channel).toBe(CHANNELS[queue]);
      const inThread = posts().filter((call) => call.args.channel === CHANNELS[queue] && call.args.thread_ts !== undefined && String(call.args.text).includes(conversationId));
      expect(inThread.map((call) => String(call.args.text).replace(/^.*(history of|says)/s, '$1'))).toEqual([`history of ${conversationId}`, 'says 1', 'says 2']);
      expect(new Set(inThread.map((call) => call.args.thread_ts)).size).toBe(1);
    }
    expect(bridge.slack.rateLimited).toEqual([]);
    expect(bridge.queued().deadLetters).toEqual([]);
  }, 60_000);
});

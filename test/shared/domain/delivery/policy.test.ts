import { beforeEach, describe, expect, it } from 'vitest';
import { deliver, RetryDelivery, type DeliveryResult } from '../../../../shared/domain/delivery/attempt';
import type { DeliveryJob } from '../../../../shared/domain/delivery/jobs';
import { attemptsAtMost, deliveryPolicy } from '../../../../shared/domain/delivery/policy';
import { deliveryRetries } from '../../../../shared/aws/delivery-retries';
import { DownstreamError } from '../../../../shared/platform/errors';
import { memoryDelivery } from '../../../support/memory-ports';

/* The bridge's give-up always comes before the queue's limit on attempts, and a job that keeps stopping the function is given up. */
const THREAD = { channelId: 'C-DESK', threadTs: '1700000000.000001' };
let clock: number;
let deps: Awaited<ReturnType<typeof memoryDelivery>>;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  deps = await memoryDelivery(THREAD, { now: () => clock });
});

const message: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', 'conv-1', 'm-1'], conversationId: 'conv-1', text: 'hello', messageId: 'm-1' };

describe('deliveryPolicy', () => {
  it.each([1, 15, 60, 8 * 60, 24 * 60])('gives up on a delivery retried as soon as the service allows within the queue’s attempts (%i min)', async (minutes) => {
    const { policy, maxReceiveCount } = deliveryRetries(minutes * 60_000);
    expect(maxReceiveCount).toBeLessThanOrEqual(1000);
    deps = await memoryDelivery(THREAD, { now: () => clock, policy });
    // Slack or Botpress saying "again now", every time: the worst case for the count of attempts.
    deps.desk.failing.set('postInThread', () => new DownstreamError('slack', 'rate limited', { status: 429, retryAfterMs: 0 }));
    const queuedAt = clock;
    let result: DeliveryResult | undefined;
    let receiveCount = 0;
    while (result === undefined) {
      receiveCount += 1;
      expect(receiveCount).toBeLessThan(maxReceiveCount);
      try {
        result = await deliver(message, { id: 'message-1', receiveCount, queuedAt }, deps);
      } catch (error) {
        clock += (error as RetryDelivery).delayMs;
      }
    }
    expect(result).toMatchObject({ outcome: 'gave-up', reason: expect.stringMatching(/^not delivered within/) as string });
    expect(receiveCount).toBeLessThanOrEqual(attemptsAtMost(policy));
  });

  it('spaces retries a second apart at least, more when the give-up time is long', () => {
    expect(deliveryPolicy(15 * 60_000, 1000).minDelayMs).toBe(1_000);
    expect(deliveryPolicy(24 * 60 * 60_000, 1000).minDelayMs).toBe(87_000);
    expect(() => deliveryPolicy(60_000, 4)).toThrow(RangeError);
  });
});

describe('a job that stops the function', () => {
  /**
   * An attempt that begins and never answers: the function crashed, timed out
   * or ran out of memory while it posted. The queue hands the message out
   * again after its visibility timeout, when the dead attempt's claim has lapsed.
   */
  const stoppingAttempt = async (receiveCount: number) => {
    const stopped = new Promise<void>((resolve) => {
      deps.desk.postInThread = () => {
        resolve();
        return new Promise<string>(() => undefined);
      };
    });
    void deliver(message, { id: 'message-1', receiveCount, queuedAt: clock }, deps);
    await stopped;
    // The desk's own method again, from its class.
    delete (deps.desk as Partial<Pick<typeof deps.desk, 'postInThread'>>).postInThread;
    clock += 180_000;
  };

  beforeEach(() => {
    deps.ledger.now = () => clock;
  });

  it('is given up, with the reason, after two attempts that stopped; the customer hears, and the conversation moves on', async () => {
    await stoppingAttempt(1);
    await stoppingAttempt(2);
    await stoppingAttempt(3);
    const result = await deliver(message, { id: 'message-1', receiveCount: 4, queuedAt: clock }, deps);
    expect(result).toMatchObject({ outcome: 'gave-up', reason: expect.stringMatching(/stopped 2 times while on it \(a crash, a timeout or out of memory\)/) as string });
    expect(deps.queue.jobs.map((job) => job.kind)).toEqual(['customer-message-failed']);
  });

  it('is tried again when its earlier attempts ended, however many there were', async () => {
    deps.desk.failing.set('postInThread', () => new DownstreamError('slack', 'unavailable', { status: 503 }));
    for (let receiveCount = 1; receiveCount <= 5; receiveCount += 1) {
      await expect(deliver(message, { id: 'message-1', receiveCount, queuedAt: clock }, deps)).rejects.toBeInstanceOf(RetryDelivery);
    }
    deps.desk.failing.delete('postInThread');
    expect(await deliver(message, { id: 'message-1', receiveCount: 6, queuedAt: clock }, deps)).toEqual({ outcome: 'delivered' });
  });

  it('counts a stop only once the attempt began: one that stopped before the bridge saw it (the first) is not counted', async () => {
    await stoppingAttempt(1);
    await stoppingAttempt(2);
    expect(await deliver(message, { id: 'message-1', receiveCount: 3, queuedAt: clock }, deps)).toEqual({ outcome: 'delivered' });
  });
});

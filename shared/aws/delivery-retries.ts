import { attemptsAtMost, deliveryPolicy, type DeliveryPolicy } from '../domain/delivery/policy';

/** SQS's largest maxReceiveCount: the most times one message can be received before SQS moves it to the dead letters itself. */
const SQS_MOST_RECEIVES = 1000;

/**
 * The delivery queue's retries for a give-up time: the bridge's policy, and
 * the queue's maxReceiveCount derived from it (shared/domain/delivery/policy.ts),
 * read by the delivery function, the stack and `npm start`'s embedded queue.
 */
export function deliveryRetries(giveUpMs: number): { readonly policy: DeliveryPolicy; readonly maxReceiveCount: number } {
  const policy = deliveryPolicy(giveUpMs, SQS_MOST_RECEIVES);
  return { policy, maxReceiveCount: attemptsAtMost(policy) };
}

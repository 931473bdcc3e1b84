/*
 * How long a delivery is retried, how its retries are spaced, and so how many
 * attempts one delivery can take at most: one place, read by the delivery
 * function and by the stack, which sets the queue's own limit on attempts
 * (SQS's maxReceiveCount) from it. The bridge's give-up, with its notices and
 * its reason, must always come before the queue's, which says nothing.
 */

export interface DeliveryPolicy {
  /** A delivery not done this long after it was queued gets a "not delivered yet" notice in its thread. */
  readonly lateNoticeMs: number;
  /** After this long the bridge gives up: a final notice, and the message goes to the dead-letter queue. */
  readonly giveUpMs: number;
  /** The first retry's delay; each later one doubles it, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** No retry comes sooner, whatever a service's Retry-After says: it bounds the attempts within giveUpMs. */
  readonly minDelayMs: number;
  /** Attempts that began and never ended (the function crashed, timed out, ran out of memory) before the bridge gives up. */
  readonly stopsAtMost: number;
}

const RETRIES = { lateNoticeMs: 60_000, firstDelayMs: 2_000, maxDelayMs: 60_000 } as const;

/**
 * Two attempts cut short are a job that stops the function, not bad luck: a
 * third would cost another visibility timeout while its conversation waits.
 */
const STOPS_AT_MOST = 2;

/**
 * Attempts beyond those spaced minDelayMs apart within giveUpMs: the one that
 * finds the time up and gives up, the stopped ones (each also comes back
 * later than minDelayMs, so this is generous), and one more for good measure.
 */
const SPARE_ATTEMPTS = 1 + STOPS_AT_MOST + 1;

/**
 * The policy for a give-up time when the queue allows at most
 * `attemptsAllowed` attempts at one message: retries come at least a second
 * apart (SQS counts delays in seconds), further apart when the give-up time
 * is long enough for one-second retries to use up the attempts.
 */
export function deliveryPolicy(giveUpMs: number, attemptsAllowed: number): DeliveryPolicy {
  const spaced = attemptsAllowed - SPARE_ATTEMPTS;
  if (!(giveUpMs > 0) || spaced < 1) throw new RangeError(`no retry policy gives up after ${giveUpMs} ms within ${attemptsAllowed} attempts`);
  const minDelayMs = Math.max(1, Math.ceil(giveUpMs / spaced / 1000)) * 1000;
  return { ...RETRIES, giveUpMs, minDelayMs, stopsAtMost: STOPS_AT_MOST };
}

/**
 * The most attempts one delivery can take before the bridge gives up: one at
 * most every minDelayMs while time remains, then the spare ones. The queue's
 * limit is set to this, so that it only ever catches what the bridge could not
 * give up on itself (the dead-letter queue refusing the message, say).
 */
export function attemptsAtMost(policy: DeliveryPolicy): number {
  return Math.ceil(policy.giveUpMs / policy.minDelayMs) + SPARE_ATTEMPTS;
}

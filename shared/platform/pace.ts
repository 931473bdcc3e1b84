/*
 * A pace shared by every container: how often something may happen per key
 * (Slack's posts per channel), kept where all of them see it (DynamoDB in
 * AWS: shared/aws/shared-pace.ts), so that concurrent deliveries take turns
 * instead of each learning the limit from its own 429.
 */

/** At most one event every intervalMs per key, and up to `burst` at once after a quiet spell. */
export interface PaceRule {
  readonly intervalMs: number;
  readonly burst: number;
}

export type PaceSlot =
  /** Taken: the event may happen at `at` (now, or a little later). */
  | { readonly taken: true; readonly at: number }
  /** Not taken: the first free slot is later than the caller would wait. */
  | { readonly taken: false; readonly notBefore: number };

export interface SharedPace {
  /** Takes the key's next slot if it comes no later than `latest` (epoch ms); slots are handed out in the order asked for. */
  take(key: string, rule: PaceRule, now: number, latest: number): Promise<PaceSlot>;
  /** Nothing happens for the key before `until` (a Retry-After), for every container. */
  holdUntil(key: string, until: number): Promise<void>;
}

/**
 * The slot a key's next event may take (the generic cell rate algorithm):
 * `due` is when the key's last taken slot's interval ends; a quiet key lets
 * `burst` events go at once, and a hold delays all of them.
 */
export function nextSlot(state: { readonly due: number; readonly heldUntil: number }, rule: PaceRule, now: number): { readonly at: number; readonly due: number } {
  // Further ahead than any slot or hold is ever set (a clock set back since): forgotten rather than obeyed for that long.
  const due = state.due - now > FORGET_AHEAD_MS ? 0 : state.due;
  const heldUntil = state.heldUntil - now > FORGET_AHEAD_MS ? 0 : state.heldUntil;
  const at = Math.max(now, due - (rule.burst - 1) * rule.intervalMs, heldUntil);
  return { at, due: Math.max(due, at) + rule.intervalMs };
}

/**
 * Slots are taken seconds ahead, holds last Slack's Retry-After (seconds, a
 * minute at worst): five minutes ahead is neither. Slack would say again.
 */
const FORGET_AHEAD_MS = 5 * 60_000;

/** One container's pace, in memory: for a process alone (npm start runs every function in one). */
export function paceInMemory(): SharedPace {
  const keys = new Map<string, { due: number; heldUntil: number }>();
  return {
    take: (key, rule, now, latest) => {
      const state = keys.get(key) ?? { due: 0, heldUntil: 0 };
      const slot = nextSlot(state, rule, now);
      if (slot.at > latest) return Promise.resolve({ taken: false, notBefore: slot.at });
      keys.set(key, { ...state, due: slot.due });
      return Promise.resolve({ taken: true, at: slot.at });
    },
    holdUntil: (key, until) => {
      const state = keys.get(key) ?? { due: 0, heldUntil: 0 };
      keys.set(key, { ...state, heldUntil: Math.max(state.heldUntil, until) });
      return Promise.resolve();
    },
  };
}

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
  /**
   * Takes the key's next slot if it comes no later than `latest` (epoch ms); slots are handed out in the order asked
   * for. With a `holder` (a name the caller asks under again: a post's id), a slot further off is taken all the same
   * and kept for it: the caller gives way, and the holder's next ask gets that slot, not the end of the line then.
   */
  take(key: string, rule: PaceRule, now: number, latest: number, holder?: string): Promise<PaceSlot>;
  /** Nothing happens for the key before `until` (a Retry-After), for every container. */
  holdUntil(key: string, until: number): Promise<void>;
}

/**
 * The slot a key's next event may take (the generic cell rate algorithm):
 * `due` is when the key's last taken slot's interval ends; a quiet key lets
 * `burst` events go at once, and a hold delays all of them.
 */
export function nextSlot(state: PaceState, rule: PaceRule, now: number): { readonly at: number; readonly due: number } {
  // Written later than now (a clock set back since, as the tests do), or further ahead than any slot or hold is ever set:
  // forgotten rather than obeyed for that long.
  const stale = state.writtenAt - now > CLOCK_SKEW_MS;
  const due = stale || state.due - now > FORGET_AHEAD_MS ? 0 : state.due;
  const heldUntil = stale || state.heldUntil - now > FORGET_AHEAD_MS ? 0 : state.heldUntil;
  const at = Math.max(now, due - (rule.burst - 1) * rule.intervalMs, heldUntil);
  return { at, due: Math.max(due, at) + rule.intervalMs };
}

/**
 * Slots are taken seconds ahead, holds last Slack's Retry-After (seconds, a
 * minute at worst): five minutes ahead is neither. Slack would say again.
 */
const FORGET_AHEAD_MS = 5 * 60_000;

/** How far apart two containers' clocks may be: a state written further ahead than this was written before a clock went back. */
const CLOCK_SKEW_MS = 1_000;

/** A key's pace as kept: when its last slot's interval ends, a hold, and when it was last written (all epoch ms). */
export interface PaceState {
  readonly due: number;
  readonly heldUntil: number;
  readonly writtenAt: number;
  /** Slots taken for holders that gave way: holder → the slot (epoch ms). */
  readonly kept?: Readonly<Record<string, number>> | undefined;
}

/**
 * What a holder's ask finds kept for it: its slot, when it may still take it
 * (not more than an interval late: a slot used later would crowd the ones
 * after it). A kept slot further off than `latest` gives way again.
 */
export function keptSlot(state: PaceState, rule: PaceRule, now: number, latest: number, holder: string | undefined): PaceSlot | undefined {
  const at = holder === undefined ? undefined : state.kept?.[holder];
  if (at === undefined || now - at > rule.intervalMs || at - now > FORGET_AHEAD_MS) return undefined;
  return at <= latest ? { taken: true, at: Math.max(at, now) } : { taken: false, notBefore: at };
}

/** A slot as the caller hears of it: taken, or, further off than `latest`, not (whether or not it is kept for it). */
export const slotAnswer = (slot: { readonly at: number }, latest: number): PaceSlot => (slot.at > latest ? { taken: false, notBefore: slot.at } : { taken: true, at: slot.at });

/**
 * The kept slots as a write leaves them: the holder's own replaced by the slot it keeps now (or gone), and those
 * nobody came back for (the holder's delivery ended otherwise) dropped.
 */
export function keptAfter(state: PaceState, now: number, holder: string | undefined, keeps: number | undefined): Record<string, number> {
  const kept = Object.fromEntries(Object.entries(state.kept ?? {}).filter(([name, at]) => name !== holder && Math.abs(now - at) <= FORGET_AHEAD_MS));
  if (holder !== undefined && keeps !== undefined) kept[holder] = keeps;
  return kept;
}

/** One container's pace, in memory: for a process alone (npm start runs every function in one). */
export function paceInMemory(): SharedPace {
  const keys = new Map<string, PaceState>();
  const blank: PaceState = { due: 0, heldUntil: 0, writtenAt: 0 };
  return {
    take: (key, rule, now, latest, holder) => {
      const state = keys.get(key) ?? blank;
      const kept = keptSlot(state, rule, now, latest, holder);
      if (kept) {
        if (kept.taken) keys.set(key, { ...state, kept: keptAfter(state, now, holder, undefined), writtenAt: now });
        return Promise.resolve(kept);
      }
      const slot = nextSlot(state, rule, now);
      if (slot.at > latest && holder === undefined) return Promise.resolve(slotAnswer(slot, latest));
      // A holder that takes a slot now has no other kept (one it came back to too late).
      keys.set(key, { ...state, due: slot.due, kept: keptAfter(state, now, holder, slot.at > latest ? slot.at : undefined), writtenAt: now });
      return Promise.resolve(slotAnswer(slot, latest));
    },
    holdUntil: (key, until) => {
      const state = keys.get(key) ?? blank;
      keys.set(key, { ...state, heldUntil: Math.max(state.heldUntil, until), writtenAt: Date.now() });
      return Promise.resolve();
    },
  };
}

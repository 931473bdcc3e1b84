/** What withinBudget answers when the work outlasts its budget. */
export const OVER_BUDGET = Symbol('over budget');

/**
 * The work's result, or OVER_BUDGET once budgetMs have passed, whichever is
 * first: for a caller that must answer in time (Slack waits 3 s) whatever a
 * service does. Work that loses the race goes on, and a failure it ends in
 * goes to onLateFailure rather than unhandled.
 */
export async function withinBudget<T>(work: Promise<T>, budgetMs: number, onLateFailure: (error: unknown) => void): Promise<T | typeof OVER_BUDGET> {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<typeof OVER_BUDGET>((resolve) => (timer = setTimeout(() => resolve(OVER_BUDGET), budgetMs)));
  try {
    const result = await Promise.race([work, over]);
    if (result === OVER_BUDGET) work.catch(onLateFailure);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

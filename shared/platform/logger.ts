import { Logger } from '@aws-lambda-powertools/logger';
import { METRICS_SERVICE } from './metric-names';

/**
 * The bridge's one logger: structured JSON, level from POWERTOOLS_LOG_LEVEL.
 * Message text from customers and agents is never passed to it; log ids,
 * lengths and outcomes instead.
 */
export const logger = new Logger({ serviceName: METRICS_SERVICE });

/** What the domain and the adapters log through: ids, lengths and outcomes, never message text. The logger above is one. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Awaits work that must not fail its caller (bookkeeping after a delivery,
 * notes after a state change) and logs each failure instead: the outcome that
 * matters has already happened, and throwing would make the sender retry it.
 */
export async function settleLoggingFailures(
  log: Pick<Log, 'error'>,
  message: string,
  context: Record<string, unknown>,
  work: readonly (Promise<unknown> | undefined)[],
): Promise<void> {
  const started = work.filter((task): task is Promise<unknown> => task !== undefined);
  for (const result of await Promise.allSettled(started)) {
    if (result.status === 'rejected') log.error(message, { ...context, error: result.reason as Error });
  }
}

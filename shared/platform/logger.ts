import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import type { MiddlewareObj } from '@middy/core';
import type { Context, SQSRecord } from 'aws-lambda';
import { METRICS_SERVICE } from './metric-names';
import { mapStackTracesOf } from './source-maps';

/** One invocation's context, for its lines; its correlation id changes with the queue record it works on. */
interface Invocation {
  readonly context: Context;
  correlationId: string | undefined;
}

/**
 * Where invocations that run at once in one process (`npm start`, which runs
 * the three functions side by side) each keep their own; in Lambda, where a
 * container runs one at a time, nothing is in it and the logger keeps the one.
 */
const concurrentInvocations = new AsyncLocalStorage<{ invocation?: Invocation }>();

/** Runs one invocation apart from the others under way in this process (the local runners do), so that its lines carry its own ids. */
export const apartFromOthers = <T>(run: () => Promise<T>): Promise<T> => concurrentInvocations.run({}, run);

/**
 * Powertools' Logger, given each invocation's context (Lambda request id,
 * cold start, correlation id) when the invocation first logs rather than when
 * it begins: most Slack events are ignored without a line, and Powertools'
 * addContext and appendKeys at every invocation cost that path a third of its
 * time (bench/README.md). Each line checks that the context it carries is its
 * own invocation's, which is what lets invocations run at once locally.
 */
class BridgeLogger extends Logger {
  #invocation: Invocation | undefined;
  /** The invocation whose context Powertools' attributes hold now. */
  #applied: Invocation | undefined;

  /** The invocation's context, for its lines. */
  beginInvocation(context: Context, correlationId: string | undefined): void {
    const invocation = { context, correlationId };
    const scope = concurrentInvocations.getStore();
    if (scope) scope.invocation = invocation;
    else this.#invocation = invocation;
  }

  /** Its correlation id goes: the next invocation's lines carry their own. */
  endInvocation(): void {
    const scope = concurrentInvocations.getStore();
    if (scope) scope.invocation = undefined;
    else this.#invocation = undefined;
    if (this.#applied) this.resetKeys();
    this.#applied = undefined;
  }

  /** The lines that follow carry this correlation id (a queue record's). */
  correlate(correlationId: string): void {
    const invocation = this.#current();
    if (invocation) {
      invocation.correlationId = correlationId;
      this.#applied = undefined;
    } else {
      this.setCorrelationId(correlationId);
    }
  }

  /** The invocation's correlation id, for what it sends on. */
  currentCorrelationId(): string | undefined {
    const invocation = this.#current();
    if (invocation) return invocation.correlationId;
    const id = this.getCorrelationId();
    return typeof id === 'string' ? id : undefined;
  }

  #current(): Invocation | undefined {
    return concurrentInvocations.getStore()?.invocation ?? this.#invocation;
  }

  #apply(): void {
    const invocation = this.#current();
    if (!invocation || invocation === this.#applied) return;
    this.addContext(invocation.context);
    if (invocation.correlationId) this.setCorrelationId(invocation.correlationId);
    else this.removeKeys(['correlation_id']);
    this.#applied = invocation;
  }

  override trace(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.trace(input, ...extra);
  }
  override debug(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.debug(input, ...extra);
  }
  override info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.info(input, ...extra);
  }
  override warn(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.warn(input, ...extra);
  }
  override error(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.error(input, ...extra);
  }
  override critical(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#apply();
    super.critical(input, ...extra);
  }
}

/**
 * The bridge's one logger: structured JSON, level from POWERTOOLS_LOG_LEVEL.
 * Message text from customers and agents is never passed to it; log ids,
 * lengths and outcomes instead.
 */
export const logger = new BridgeLogger({ serviceName: METRICS_SERVICE });

// In a bundle, this module's URL is the bundle's: the errors it logs name the TypeScript sources.
mapStackTracesOf(import.meta.url);

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

/**
 * The correlation id's name as a queue message attribute: what follows one
 * request (a Slack event, a Botpress call) through the queue to its
 * deliveries, and from them to the jobs they queue in turn.
 */
export const CORRELATION_ATTRIBUTE = 'correlationId';

/** The invocation's correlation id, for what it sends on (a queue message's attribute). */
export const correlationId = (): string | undefined => logger.currentCorrelationId();

/** Sets the correlation id of what follows: a queue record's own, else its message id. */
export const correlateRecord = (record: SQSRecord): void => {
  logger.correlate(record.messageAttributes[CORRELATION_ATTRIBUTE]?.stringValue ?? record.messageId);
};

/**
 * Every log line of an invocation carries its Lambda request id, cold start
 * and function (Powertools' addContext), and the correlation id the event
 * gives (API Gateway's request id, which the access log also has); the
 * correlation id is cleared at its end. Not Powertools' injectLambdaContext,
 * which adds them at every invocation (BridgeLogger adds them at its first
 * line) and sets the log level back to the environment's (for its debug
 * sampling, unused here). Used first, so that its end comes last.
 */
export function logContext<Event>(correlationIdOf?: (event: Event) => string | undefined): MiddlewareObj<Event> {
  const end = () => logger.endInvocation();
  return {
    before: (request) => logger.beginInvocation(request.context, correlationIdOf?.(request.event)),
    after: end,
    onError: end,
  };
}

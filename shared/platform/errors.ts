/**
 * The bridge's one error family. Every error that crosses a module boundary is a
 * BridgeError, so the HTTP error responder can map it to a status without
 * string-matching messages, and every wrapper keeps the original as `cause`.
 */
export class BridgeError extends Error {
  // Each class names itself in a string: the bundles are minified, and a log line must say ConfigError, not He.
  override readonly name: string = 'BridgeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A setting or secret value is missing or malformed. */
export class ConfigError extends BridgeError {
  override readonly name: string = 'ConfigError';
  constructor(
    message: string,
    readonly missing: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * A request failed authentication (Slack signature or bridge API token).
 * `reason` is for the log only: callers always answer with an opaque body so
 * that an attacker learns nothing about which check failed.
 */
export class AuthenticationError extends BridgeError {
  override readonly name: string = 'AuthenticationError';
  /** `likelyCause`: what an operator should check when this keeps happening (a secret that does not match the sender's). */
  constructor(
    readonly reason: string,
    readonly likelyCause?: string,
  ) {
    super(`request rejected: ${reason}`);
  }
}

/** The request body is malformed; `problems` are safe to return to the caller. */
export class BadRequestError extends BridgeError {
  override readonly name: string = 'BadRequestError';
  constructor(readonly problems: readonly string[]) {
    super(`bad request: ${problems.join('; ')}`);
  }
}

/**
 * A service the bridge depends on (Botpress, Slack, DynamoDB, SQS) failed or
 * timed out. Mapped to 503 so that the sender retries; never swallowed.
 * `retryAfterMs` is the service's own word on when to try again (a 429's Retry-After).
 */
export class DownstreamError extends BridgeError {
  override readonly name: string = 'DownstreamError';
  constructor(
    readonly service: 'botpress' | 'slack' | 'dynamodb' | 'secrets-manager' | 'sqs' | 's3' | 'file-host',
    message: string,
    options?: { cause?: unknown; status?: number | undefined; retryAfterMs?: number | undefined },
  ) {
    super(`${service}: ${message}`, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }

  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
}

/**
 * The service refused for a reason that retrying will not change: the app is
 * not in the channel, a token was revoked, a URL is wrong. `code` is the
 * service's own, `fix` says what a person must do; both are safe to log and to
 * return (they hold no secret and no message text).
 */
export class PermanentDownstreamError extends DownstreamError {
  override readonly name: string = 'PermanentDownstreamError';
  constructor(
    service: DownstreamError['service'],
    message: string,
    readonly code: string,
    readonly fix: string,
    options?: { cause?: unknown; status?: number | undefined },
  ) {
    super(service, message, options);
  }
}

/**
 * A downstream failure with no answer to go by: no refusal, and no rate limit
 * turning the call away. The call may have been carried out, and another try
 * may cure it (a timeout, a lost connection, a 5xx).
 */
export const isUnanswered = (error: unknown): error is DownstreamError =>
  error instanceof DownstreamError && !(error instanceof PermanentDownstreamError) && error.retryAfterMs === undefined;

/** Another request is doing the same work right now; the sender should try again shortly. */
export class RetryLaterError extends BridgeError {
  override readonly name = 'RetryLaterError';
}

/** Runs one call to a dependency; any failure becomes a DownstreamError naming the operation, with the original as cause. */
export async function callDownstream<T>(service: DownstreamError['service'], operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new DownstreamError(service, `${operation} failed`, { cause: error });
  }
}

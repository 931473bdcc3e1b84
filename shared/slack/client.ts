import type { WebClient } from '@slack/web-api';
import { DownstreamError, PermanentDownstreamError } from '../platform/errors';
import { fetchOverNodeHttp } from './fetch';

/** The Web API surface the bridge uses; narrow so that scopes are easy to audit against the manifest. */
export type SlackClient = Pick<WebClient, 'auth' | 'chat' | 'conversations' | 'users' | 'files' | 'reactions' | 'views' | 'token'>;

/** Per Web API call where a caller waits for the answer (Slack's 3 s for a button press, Botpress's call for a card). */
export const SLACK_TIMEOUT_MS = 1_500;

export interface SlackClientOptions {
  readonly token: string;
  /** Base URL of the Web API; a loopback stand-in in tests and the sandbox. */
  readonly slackApiUrl?: string | undefined;
  readonly timeoutMs?: number;
}

/**
 * Creates a Web API client tuned for a function that must answer within 3 s:
 * no hidden retries (the default retries for up to 30 minutes), rate-limited
 * calls fail at once instead of sleeping, requests go over node:http (./fetch).
 * `@slack/web-api` is imported here, on first use, so that paths that never
 * call Slack do not pay for loading it.
 */
export async function createSlackClient(options: SlackClientOptions): Promise<WebClient> {
  const { WebClient, LogLevel } = await import('@slack/web-api');
  return new WebClient(options.token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl.endsWith('/') ? options.slackApiUrl : `${options.slackApiUrl}/` } : {}),
    fetch: fetchOverNodeHttp,
    timeout: options.timeoutMs ?? SLACK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
}

/**
 * Runs a Web API call. A failure becomes a DownstreamError naming the method:
 * rate limited, with Slack's Retry-After; a refusal that retrying cannot
 * change (SLACK_REFUSALS, and any error code not known to pass), a
 * PermanentDownstreamError with the fix; anything else, a plain one, to retry.
 */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw slackFailure(method, error);
  }
}

/** The @slack/web-api error codes (its ErrorCode enum: the package is loaded lazily, so they are compared as strings). */
interface WebApiError {
  readonly code?: unknown;
  readonly retryAfter?: unknown;
  readonly statusCode?: unknown;
  readonly data?: { readonly error?: unknown };
}

/** Slack's error codes that mean "try again later" (its documented transient errors). */
const SLACK_TRANSIENT_ERRORS: ReadonlySet<string> = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);

const REINSTALL = 'set a valid bot token (xoxb-…) in the secret: the app may have been uninstalled or its token revoked';

/** What a person must do about each refusal; an unknown code is logged with its name. */
export const SLACK_REFUSALS: Readonly<Record<string, string>> = {
  not_in_channel: 'invite the app to the support channel: /invite @Support Bridge',
  channel_not_found: 'check the support channel id (supportChannelId / SLACK_SUPPORT_CHANNEL_ID) and invite the app to that channel',
  is_archived: 'unarchive the support channel, or deploy with another supportChannelId',
  invalid_auth: REINSTALL,
  not_authed: REINSTALL,
  account_inactive: REINSTALL,
  token_revoked: REINSTALL,
  token_expired: REINSTALL,
  missing_scope: "add the missing scope in the Slack app's OAuth & Permissions (see slack-app-manifest.yaml) and reinstall it",
  restricted_action: "a workspace setting forbids the app from posting here: ask a Slack admin, or choose another channel",
  msg_too_long: 'a bug: the bridge built a message over Slack’s limit; the log names the call',
  invalid_blocks: 'a bug: the bridge built blocks Slack refused; the log names the call',
  invalid_arguments: 'a bug: the bridge called Slack with arguments it refused; the log names the call',
  message_not_found: 'nothing to do: the message was deleted in Slack',
  cant_update_message: 'nothing to do: the message can no longer be edited',
};

function slackFailure(method: string, error: unknown): DownstreamError {
  const failure = (error ?? {}) as WebApiError;
  switch (failure.code) {
    case 'slack_webapi_rate_limited_error':
      return new DownstreamError('slack', `${method} rate limited`, { cause: error, status: 429, retryAfterMs: Number(failure.retryAfter) * 1000 || 1_000 });
    case 'slack_webapi_platform_error': {
      const code = String(failure.data?.error);
      if (SLACK_TRANSIENT_ERRORS.has(code)) return new DownstreamError('slack', `${method} failed: ${code}`, { cause: error });
      return new PermanentDownstreamError('slack', `${method} refused: ${code}`, code, SLACK_REFUSALS[code] ?? `see Slack's documentation of ${method} for "${code}"`, { cause: error });
    }
    case 'slack_webapi_http_error': {
      const status = Number(failure.statusCode);
      if (status >= 500 || status === 408) return new DownstreamError('slack', `${method} failed: HTTP ${status}`, { cause: error, status });
      return new PermanentDownstreamError('slack', `${method} refused: HTTP ${status}`, `http_${status}`, 'check SLACK_API_URL and the bot token', { cause: error, status });
    }
    default:
      return new DownstreamError('slack', `${method} failed`, { cause: error });
  }
}

import type { WebClient } from '@slack/web-api';
import { DownstreamError, PermanentDownstreamError } from '../errors';
import { fetchOverNodeHttp } from './fetch';

/** The Web API surface the bridge uses; narrow so that scopes are easy to audit against the manifest. */
export type SlackClient = Pick<WebClient, 'chat' | 'users' | 'files' | 'token'>;

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

export interface UserDirectoryOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** How long a caller waits for a name not yet cached; the lookup goes on to fill the cache. */
  readonly waitMs?: number;
  readonly now?: () => number;
}

/**
 * Display names by Slack user id, cached per container: names change rarely,
 * and users.info on every reply would cost latency and rate limit. A name is
 * a nicety, so a slow lookup is not waited for beyond waitMs: the reply goes
 * without it, and the next one has it (in Lambda, if the lookup answered
 * before the container was frozen).
 */
export class UserDirectory {
  private readonly cache = new Map<string, { profile: UserProfile; at: number }>();
  /** Lookups under way: a caller that stopped waiting for one must not make the next caller start another. */
  private readonly pending = new Map<string, Promise<UserProfile>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly waitMs: number;
  private readonly now: () => number;

  constructor(options: UserDirectoryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.waitMs = options.waitMs ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? (() => Date.now());
  }

  /** Each user's profile, looked up at once; a failed or slow lookup gives what the cache had, or nothing. */
  async profiles(client: SlackClient, userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    return new Map(await Promise.all(userIds.map(async (id) => [id, await this.profile(client, id)] as const)));
  }

  /** The name and picture Slack shows for the user, both from one users.info call, cached. */
  async profile(client: SlackClient, userId: string): Promise<UserProfile> {
    const hit = this.cache.get(userId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.profile;
    let lookup = this.pending.get(userId);
    if (!lookup) {
      lookup = this.lookUp(client, userId, hit?.profile).finally(() => this.pending.delete(userId));
      this.pending.set(userId, lookup);
    }
    return withinMs(lookup, this.waitMs, hit?.profile ?? {});
  }

  private async lookUp(client: SlackClient, userId: string, stale: UserProfile | undefined): Promise<UserProfile> {
    let profile: UserProfile;
    try {
      const { user } = await client.users.info({ user: userId });
      const name = user?.profile?.display_name || user?.profile?.real_name || user?.real_name || user?.name || undefined;
      const pictureUrl = user?.profile?.image_192 || user?.profile?.image_72 || undefined;
      profile = { ...(name ? { name } : {}), ...(pictureUrl ? { pictureUrl } : {}) };
    } catch {
      return stale ?? {};
    }
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(userId, { profile, at: this.now() });
    return profile;
  }
}

/** What Slack shows of a person: the display name, and the picture (a public URL on Slack's avatar host). */
export interface UserProfile {
  readonly name?: string;
  readonly pictureUrl?: string;
}

/** The promise's value if it settles within ms, else the fallback; the promise itself runs on. */
function withinMs<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

import type { WebClient } from '@slack/web-api';
import { callDownstream } from '../errors';
import { fetchOverNodeHttp } from './fetch';

/** The Web API surface the bridge uses; narrow so that scopes are easy to audit against the manifest. */
export type SlackClient = Pick<WebClient, 'chat' | 'users'>;

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
    timeout: options.timeoutMs ?? 1_500,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
}

/** Runs a Web API call; any failure becomes a DownstreamError naming the method. */
export const callSlack = <T>(method: string, call: () => Promise<T>): Promise<T> => callDownstream('slack', method, call);

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
  private readonly cache = new Map<string, { name: string | undefined; at: number }>();
  /** Lookups under way: a caller that stopped waiting for one must not make the next caller start another. */
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly waitMs: number;
  private readonly now: () => number;

  constructor(options: UserDirectoryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.waitMs = options.waitMs ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? Date.now;
  }

  /** Names for the ids that could be resolved; a failed or slow lookup leaves its id out. */
  async displayNames(client: SlackClient, userIds: readonly string[]): Promise<Map<string, string>> {
    const entries = await Promise.all(userIds.map(async (id) => [id, await this.displayName(client, id)] as const));
    return new Map(entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
  }

  async displayName(client: SlackClient, userId: string): Promise<string | undefined> {
    const hit = this.cache.get(userId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.name;
    let lookup = this.pending.get(userId);
    if (!lookup) {
      lookup = this.lookUp(client, userId, hit).finally(() => this.pending.delete(userId));
      this.pending.set(userId, lookup);
    }
    return withinMs(lookup, this.waitMs, hit?.name);
  }

  private async lookUp(client: SlackClient, userId: string, stale: { name: string | undefined } | undefined): Promise<string | undefined> {
    let name: string | undefined;
    try {
      const { user } = await client.users.info({ user: userId });
      name = user?.profile?.display_name || user?.profile?.real_name || user?.real_name || user?.name || undefined;
    } catch {
      return stale?.name;
    }
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(userId, { name, at: this.now() });
    return name;
  }
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

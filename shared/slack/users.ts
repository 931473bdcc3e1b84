import type { SlackClient } from './client';

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

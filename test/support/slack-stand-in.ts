import { decodeSlackArguments } from '../../local/sandbox/slack-workspace';
import { slackRefusal } from '../../local/slack-api-rules';
import { sendJson, startHttpStandIn, type StandIn } from './http-stand-in';

export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly token: string | undefined;
}

export interface SlackStandIn extends StandIn {
  /** Base URL to pass to @slack/web-api as `slackApiUrl`. */
  readonly apiUrl: string;
  readonly calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Users known to users.info. */
  users: Map<string, { display_name?: string; real_name?: string }>;
  /** Methods that answer `ok: false` with this error until cleared. */
  failing: Map<string, string>;
  /** Methods that answer only after this many milliseconds, until cleared. */
  delays: Map<string, number>;
  /**
   * Slack's per-channel limit on chat.postMessage, about one a second with
   * short bursts: past it, HTTP 429 with Retry-After, as Slack answers. Off
   * unless a test sets it.
   */
  postLimit: { perSecond: number; burst: number } | undefined;
  /** The calls Slack answered 429. */
  readonly rateLimited: SlackCall[];
}

/**
 * Stands in for the Slack Web API on loopback: records every call with its
 * decoded arguments (form or JSON) and answers like Slack does, refusing
 * what Slack refuses (local/slack-api-rules.ts).
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const users = new Map<string, { display_name?: string; real_name?: string }>();
  const failing = new Map<string, string>();
  const delays = new Map<string, number>();
  const rateLimited: SlackCall[] = [];
  const buckets = new Map<string, { tokens: number; at: number }>();
  const state: { postLimit: { perSecond: number; burst: number } | undefined } = { postLimit: undefined };
  let tsCounter = 0;

  /** Token bucket per channel; undefined when the post may go, else the seconds Slack would say to wait. */
  const retryAfterFor = (channel: string): number | undefined => {
    const limit = state.postLimit;
    if (!limit) return undefined;
    const now = Date.now();
    const bucket = buckets.get(channel) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  };

  const server = await startHttpStandIn(async (request, res) => {
    const method = request.path.replace(/^\/api\//, '').split('?')[0]!;
    const args = decodeSlackArguments(request.headers['content-type'], request.rawBody);
    const call = { method, args, token: request.headers.authorization?.replace(/^Bearer /, '') };
    if (method === 'chat.postMessage') {
      const retryAfter = retryAfterFor(String(args.channel));
      if (retryAfter !== undefined) {
        rateLimited.push(call);
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
    }
    calls.push(call);
    // What Slack refuses of a message (limits, Block Kit), answered as Slack answers it.
    const refusal = slackRefusal(method, args);
    if (refusal) return sendJson(res, 200, refusal);
    const delayMs = delays.get(method);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const error = failing.get(method);
    if (error) return sendJson(res, 200, { ok: false, error });
    switch (method) {
      case 'users.info': {
        const profile = users.get(String(args.user));
        return profile
          ? sendJson(res, 200, { ok: true, user: { id: args.user, name: profile.display_name, real_name: profile.real_name, profile } })
          : sendJson(res, 200, { ok: false, error: 'user_not_found' });
      }
      case 'chat.postMessage': {
        tsCounter += 1;
        const ts = `${1_717_600_000 + tsCounter}.${String(tsCounter).padStart(6, '0')}`;
        return sendJson(res, 200, { ok: true, channel: args.channel, ts, message: { ts, text: args.text } });
      }
      case 'chat.postEphemeral':
        return sendJson(res, 200, { ok: true, message_ts: `${1_717_700_000}.000001` });
      case 'chat.update':
        return sendJson(res, 200, { ok: true, channel: args.channel, ts: args.ts });
      case 'chat.delete':
        return sendJson(res, 200, { ok: true, channel: args.channel, ts: args.ts });
      default:
        return sendJson(res, 200, { ok: false, error: 'unknown_method' });
    }
  });

  return {
    ...server,
    apiUrl: `${server.url}/api/`,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    users,
    failing,
    delays,
    rateLimited,
    get postLimit() {
      return state.postLimit;
    },
    set postLimit(value) {
      state.postLimit = value;
      buckets.clear();
    },
  };
}

import { decodeSlackArguments } from '../../local/sandbox/slack-workspace';
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
}

/**
 * Stands in for the Slack Web API on loopback: records every call with its
 * decoded arguments (form or JSON) and answers like Slack does.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const users = new Map<string, { display_name?: string; real_name?: string }>();
  const failing = new Map<string, string>();
  const delays = new Map<string, number>();
  let tsCounter = 0;

  const server = await startHttpStandIn(async (request, res) => {
    const method = request.path.replace(/^\/api\//, '').split('?')[0]!;
    const args = decodeSlackArguments(request.headers['content-type'], request.rawBody);
    calls.push({ method, args, token: request.headers.authorization?.replace(/^Bearer /, '') });
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
  };
}

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokensMatch } from '../../shared/botpress/auth';
import { escapeSlackText } from '../../shared/slack/render/markup';
import { signSlackRequest } from '../../shared/platform/hmac';
import { readBody } from '../api-gateway-adapter';
import { slackRefusal } from '../slack-api-rules';

export interface ChannelMessage {
  readonly ts: string;
  readonly threadTs?: string;
  readonly user?: string;
  readonly botId?: string;
  readonly username?: string;
  readonly iconEmoji?: string;
  text: string;
  blocks?: unknown[];
  /** Ephemeral: only this user sees it. */
  readonly onlyVisibleTo?: string;
  /** As chat.postMessage was given it (https://docs.slack.dev/messaging/message-metadata). */
  readonly metadata?: unknown;
  /** The emoji names of its reactions (reactions.add), each once. */
  reactions?: string[];
}

export interface SlackWorkspaceOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly channelId: string;
}

/** Delays between Slack's retries of a failed event (Slack waits minutes; the sandbox, seconds). */
const RETRY_DELAYS_MS = [1_000, 3_000, 5_000];

/**
 * A Slack workspace with one support channel, for the sandbox. It serves the
 * Web API methods the bridge calls, and plays Slack towards the bridge: every
 * message in the channel (the agent's, and the bridge's own, which the bridge
 * must ignore) becomes a signed Events API request, every button press a
 * signed interactivity request, and a delivery that fails is retried with
 * `X-Slack-Retry-Num`, as Slack does.
 */
export class SlackWorkspace {
  readonly teamId = 'T0SANDBOX';
  readonly appId = 'A0SANDBOX';
  readonly botId = 'B0SANDBOX';
  readonly botUserId = 'U0SANDBOT';
  readonly agent = { id: 'U0AGENTALX', name: 'Alex' };
  readonly messages: ChannelMessage[] = [];
  private bridgeUrl: string | undefined;
  private server: Server | undefined;
  private clock = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: SlackWorkspaceOptions) {}

  /** Starts the Web API on loopback; returns the base URL to give the bridge as SLACK_API_URL. */
  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        // A press's response_url: what is posted there shows to the agent who pressed, only (response_type ephemeral).
        if (request.method === 'POST' && (request.url ?? '').startsWith('/actions/')) {
          const answer = JSON.parse(body.toString('utf8') || '{}') as { text?: unknown };
          this.add({ ts: this.nextTs(), threadTs: '', user: this.botUserId, botId: this.botId, text: typeof answer.text === 'string' ? answer.text : '', onlyVisibleTo: this.agent.id });
          response.writeHead(200, { 'content-type': 'application/json' });
          return void response.end('{"ok":true}');
        }
        const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
        const authorized = tokensMatch(request.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '', this.options.botToken);
        const result = authorized ? this.callMethod(method, decodeSlackArguments(request.headers['content-type'], body.toString('utf8'))) : { ok: false, error: 'invalid_auth' };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  /** Where Slack sends events and interactions: the bridge's base URL. */
  connect(bridgeUrl: string): void {
    this.bridgeUrl = bridgeUrl;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The agent writes in a thread: the message appears, and Slack tells the bridge. */
  agentReply(threadTs: string, text: string): ChannelMessage {
    const message: ChannelMessage = { ts: this.nextTs(), threadTs, user: this.agent.id, text: escapeSlackText(text) }; // as Slack's client escapes typed text
    this.add(message);
    // As Slack does, a thread reply says who posted the thread's parent.
    const parent = this.messages.find((candidate) => candidate.ts === threadTs);
    const parentUser = parent?.botId ? this.botUserId : parent?.user;
    this.deliverEvent({
      type: 'message',
      user: this.agent.id,
      text: message.text,
      ts: message.ts,
      thread_ts: threadTs,
      ...(parentUser ? { parent_user_id: parentUser } : {}),
      channel: this.options.channelId,
      event_ts: message.ts,
      channel_type: 'channel',
      team: this.teamId,
    });
    return message;
  }

  /** The agent presses a button on a card: Slack sends the bridge a block_actions interaction. */
  pressButton(messageTs: string, actionId: string): void {
    const card = this.messages.find((message) => message.ts === messageTs);
    const button = (card?.blocks ?? [])
      .flatMap((block) => ((block as { elements?: { action_id?: string; value?: string }[] }).elements ?? []))
      .find((element) => element.action_id === actionId);
    if (!card || !button) return;
    const payload = {
      type: 'block_actions',
      user: { id: this.agent.id, username: this.agent.name.toLowerCase(), name: this.agent.name.toLowerCase(), team_id: this.teamId },
      api_app_id: this.appId,
      container: { type: 'message', message_ts: messageTs, channel_id: this.options.channelId, is_ephemeral: false },
      trigger_id: randomUUID(),
      team: { id: this.teamId, domain: 'sandbox' },
      channel: { id: this.options.channelId, name: 'support' },
      message: { type: 'message', ts: messageTs, text: card.text, bot_id: this.botId, blocks: card.blocks },
      actions: [{ action_id: actionId, block_id: 'handoff_actions', value: button.value, type: 'button', action_ts: this.nextTs() }],
      response_url: `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/actions/${this.teamId}/${randomUUID()}`,
    };
    void this.send('/slack/interactions', `payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private callMethod(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const refusal = slackRefusal(method, args);
    if (refusal) return { ...refusal };
    const text = typeof args.text === 'string' ? args.text : '';
    switch (method) {
      case 'chat.postMessage': {
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        const username = typeof args.username === 'string' ? args.username : undefined;
        const message: ChannelMessage = {
          ts: this.nextTs(),
          ...(threadTs ? { threadTs } : {}),
          ...(username ? { username, iconEmoji: typeof args.icon_emoji === 'string' ? args.icon_emoji : '' } : { user: this.botUserId }),
          botId: this.botId,
          text,
          ...(Array.isArray(args.blocks) ? { blocks: args.blocks as unknown[] } : {}),
          ...(args.metadata ? { metadata: typeof args.metadata === 'string' ? (JSON.parse(args.metadata) as unknown) : args.metadata } : {}),
        };
        this.add(message);
        // Slack echoes the app's own posts as message events; with a custom username they arrive as bot_message.
        this.deliverEvent({
          type: 'message',
          ...(username ? { subtype: 'bot_message', username } : { user: this.botUserId }),
          bot_id: this.botId,
          app_id: this.appId,
          text,
          ts: message.ts,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          channel: this.options.channelId,
          event_ts: message.ts,
          channel_type: 'channel',
        });
        return { ok: true, channel: this.options.channelId, ts: message.ts, message: { ts: message.ts, text } };
      }
      case 'chat.update': {
        const message = this.messages.find((candidate) => candidate.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = text;
        if (Array.isArray(args.blocks)) message.blocks = args.blocks as unknown[];
        this.changed();
        const ts = this.nextTs();
        this.deliverEvent({
          type: 'message',
          subtype: 'message_changed',
          hidden: true,
          channel: this.options.channelId,
          ts,
          event_ts: ts,
          message: { type: 'message', user: this.botUserId, bot_id: this.botId, app_id: this.appId, text, ts: message.ts },
        });
        return { ok: true, channel: this.options.channelId, ts: message.ts };
      }
      case 'chat.delete': {
        const index = this.messages.findIndex((candidate) => candidate.ts === args.ts);
        if (index < 0) return { ok: false, error: 'message_not_found' };
        this.messages.splice(index, 1);
        this.changed();
        const ts = this.nextTs();
        this.deliverEvent({ type: 'message', subtype: 'message_deleted', hidden: true, channel: this.options.channelId, ts, event_ts: ts, deleted_ts: args.ts });
        return { ok: true, channel: this.options.channelId, ts: args.ts };
      }
      case 'chat.postEphemeral': {
        const ts = this.nextTs();
        this.add({ ts, threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : '', user: this.botUserId, botId: this.botId, text, onlyVisibleTo: String(args.user) });
        return { ok: true, message_ts: ts };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        // The channel's messages (history) or a thread's (replies) from `oldest` on; metadata only when asked for.
        const oldest = Number(args.oldest ?? 0);
        // As Slack: a message at exactly `oldest` only with inclusive.
        const inclusive = args.inclusive === true || args.inclusive === 'true';
        const wanted = this.messages.filter(
          (message) =>
            !message.onlyVisibleTo &&
            (inclusive ? Number(message.ts) >= oldest : Number(message.ts) > oldest) &&
            (method === 'conversations.history' ? message.threadTs === undefined : message.ts === args.ts || message.threadTs === args.ts),
        );
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        return { ok: true, messages: wanted.map((message) => ({ type: 'message', ts: message.ts, text: message.text, ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}) })) };
      }
      case 'reactions.add': {
        // https://docs.slack.dev/reference/methods/reactions.add: the message must exist; a name it has already is already_reacted.
        const message = this.messages.find((candidate) => candidate.ts === args.timestamp && !candidate.onlyVisibleTo);
        if (!message) return { ok: false, error: 'message_not_found' };
        const name = String(args.name);
        if (message.reactions?.includes(name)) return { ok: false, error: 'already_reacted' };
        message.reactions = [...(message.reactions ?? []), name];
        this.changed();
        return { ok: true };
      }
      case 'users.info': {
        if (args.user !== this.agent.id) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { id: this.agent.id, name: this.agent.name.toLowerCase(), real_name: this.agent.name, profile: { display_name: this.agent.name, real_name: this.agent.name } } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private deliverEvent(event: Record<string, unknown>): void {
    const body = JSON.stringify({
      token: 'sandbox',
      team_id: this.teamId,
      api_app_id: this.appId,
      event,
      type: 'event_callback',
      event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.teamId, user_id: this.botUserId, is_bot: true }],
    });
    void this.send('/slack/events', body, 'application/json');
  }

  /** Signs and POSTs like Slack, retrying a non-200 answer with X-Slack-Retry-Num. */
  private async send(route: string, body: string, contentType: string): Promise<void> {
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
      if (!this.bridgeUrl) return;
      const timestamp = Math.floor(Date.now() / 1000);
      const status = await fetch(`${this.bridgeUrl}${route}`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(this.options.signingSecret, timestamp, body),
          ...(attempt > 0 ? { 'x-slack-retry-num': String(attempt), 'x-slack-retry-reason': 'http_error' } : {}),
        },
        body,
      }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
      // Interactions are not retried by Slack; events are, up to three times.
      if (status === 200 || route !== '/slack/events' || attempt === RETRY_DELAYS_MS.length) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }

  private add(message: ChannelMessage): void {
    this.messages.push(message);
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private nextTs(): string {
    this.clock = Math.max(this.clock + 1, Date.now() * 1000);
    return `${Math.floor(this.clock / 1_000_000)}.${String(this.clock % 1_000_000).padStart(6, '0')}`;
  }
}

/** Web API arguments, form-encoded (nested values as JSON strings, as @slack/web-api sends them) or JSON. */
export function decodeSlackArguments(contentType: string | undefined, rawBody: string): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(rawBody) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(rawBody)) {
    args[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
  }
  return args;
}

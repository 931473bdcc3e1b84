import { decodeSlackArguments } from '../../local/sandbox/slack-workspace';
import { slackRefusal } from '../../local/slack-api-rules';
import { sendJson, startHttpStandIn, type StandIn } from '../../local/http-stand-in';

export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly token: string | undefined;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

export interface SlackStandIn extends StandIn {
  /** Base URL to pass to @slack/web-api as `slackApiUrl`. */
  readonly apiUrl: string;
  readonly calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Users known to users.info. */
  users: Map<string, { display_name?: string; real_name?: string; image_192?: string }>;
  /** Methods that answer `ok: false` with this error until cleared. */
  failing: Map<string, string>;
  /** Methods that answer only after this many milliseconds, until cleared. */
  delays: Map<string, number>;
  /** Methods that do their work at once and answer only after this many milliseconds: a post Slack took, answered after the client gave up. */
  lateAnswers: Map<string, number>;
  /** Messages posted (chat.postMessage), as conversations.history and conversations.replies read them. */
  readonly messages: PostedMessage[];
  /** The reactions on messages, as `channel:ts:name`. */
  readonly reactions: Set<string>;
  /** The Home tab each user was last shown (views.publish), as Slack keeps one per user. */
  readonly homeViews: Map<string, { type: string; blocks: unknown[] }>;
  /**
   * Slack's per-channel limit on chat.postMessage, about one a second with
   * short bursts: past it, HTTP 429 with Retry-After, as Slack answers. Off
   * unless a test sets it.
   */
  postLimit: { perSecond: number; burst: number } | undefined;
  /** The calls Slack answered 429. */
  readonly rateLimited: SlackCall[];
  /** Files in the workspace, as files.info and their download URLs serve them; a test adds the ones its agents share. */
  readonly files: Map<string, StoredFile>;
  /** The scopes the bot token has; without files:read a file URL answers Slack's sign-in page, and files.info missing_scope. */
  readonly scopes: Set<string>;
  /** Files uploaded into threads (files.getUploadURLExternal, the bytes, files.completeUploadExternal), in order. */
  readonly uploads: CompletedUpload[];
  /** The workspace's file settings, which an admin may restrict; none unless a test sets them. */
  readonly uploadRules: UploadRules;
  /**
   * How long after files.completeUploadExternal an upload shows in its thread:
   * Slack shares it asynchronously (the method's docs), and files.info lists
   * the share (`shares`) only from then. 0, at once, unless a test sets it.
   */
  shareDelayMs: number;
  /** Downloads that ended on the edge host after a redirect, with the authorization they carried. */
  readonly edgeDownloads: { readonly fileId: string; readonly authorization: string }[];
  /** What was posted to presses' response URLs (`<url>/actions/…`): private answers to whoever pressed. */
  readonly responses: { readonly path: string; readonly body: Record<string, unknown> }[];
  /** A response URL for a press, as Slack puts one in each interaction payload. */
  responseUrl(): string;
}

/**
 * What files.getUploadURLExternal refuses in a workspace whose admins limit
 * uploads (https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
 * "Errors": file_uploads_disabled, file_uploads_except_images_disabled,
 * file_upload_size_restricted). Slack answers at that call, before any bytes.
 */
export interface UploadRules {
  disabled?: boolean;
  imagesOnly?: boolean;
  maxBytes?: number | undefined;
}

/** A message as Slack keeps it; `metadata` as chat.postMessage was given it (https://docs.slack.dev/messaging/message-metadata). */
export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string | undefined;
  readonly text: string;
  readonly metadata: { readonly event_type: string; readonly event_payload: Record<string, unknown> } | undefined;
  /** A file share's message: the files it shows. */
  readonly files?: readonly string[];
  /** Who wrote it: a person's id (a test adds the agents' messages, which Slack holds as it sends their events), else the bot's post. */
  readonly user?: string;
}

export interface StoredFile {
  readonly name: string;
  readonly mimetype: string;
  readonly content: Buffer;
  /** `hosted` unless a test says otherwise (`external`: a Google Drive link, which has no download URL). */
  readonly mode?: 'hosted' | 'external' | 'snippet';
  /**
   * The download URL answers 302 to another host, as Enterprise Grid has been
   * reported to do (issue 24: to another *.slack.com host; not in Slack's
   * docs, which is why the bridge follows such a redirect but no further):
   * `edge` to this stand-in's edge path (standing for that host), or an
   * absolute URL elsewhere.
   */
  readonly redirect?: string;
}

export interface CompletedUpload {
  readonly fileId: string;
  readonly filename: string;
  readonly title: string | undefined;
  readonly content: Buffer;
  readonly channel: string;
  readonly threadTs: string | undefined;
  readonly initialComment: string | undefined;
}

/** The scopes the bridge's manifest asks for (slack-app-manifest.yaml); tests take some away. */
const GRANTED_SCOPES = ['chat:write', 'chat:write.customize', 'channels:history', 'groups:history', 'users:read', 'files:read', 'files:write', 'reactions:write'];

/** What files.slack.com answers a request for a private file it cannot authorise: its sign-in page, 200. */
const SIGN_IN_PAGE = '<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to your workspace</body></html>';

/**
 * Stands in for the Slack Web API on loopback: records every call with its
 * decoded arguments (form or JSON) and answers like Slack does, refusing
 * what Slack refuses (local/slack-api-rules.ts).
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const users = new Map<string, { display_name?: string; real_name?: string; image_192?: string }>();
  const failing = new Map<string, string>();
  const delays = new Map<string, number>();
  const lateAnswers = new Map<string, number>();
  const messages: PostedMessage[] = [];
  const reactions = new Set<string>();
  const homeViews = new Map<string, { type: string; blocks: unknown[] }>();
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

  const files = new Map<string, StoredFile>();
  const scopes = new Set(GRANTED_SCOPES);
  const uploads: CompletedUpload[] = [];
  const uploadRules: UploadRules = {};
  const shareState = { delayMs: 0 };
  /** Uploaded files, by id, and where they were shared once they were. */
  const uploaded = new Map<string, { name: string; shared?: { channel: string; ts: string; threadTs: string | undefined } }>();
  const responses: SlackStandIn['responses'] = [];
  const edgeDownloads: SlackStandIn['edgeDownloads'] = [];
  let responseCounter = 0;
  /** Upload URLs handed out, by file id: what was declared, and the bytes once posted. */
  const pendingUploads = new Map<string, { filename: string; length: number; content?: Buffer }>();
  let fileCounter = 0;
  let baseUrl = '';
  const fileInfo = (id: string, file: StoredFile) => ({
    id,
    name: file.name,
    title: file.name,
    mimetype: file.mimetype,
    size: file.content.length,
    mode: file.mode ?? 'hosted',
    ...(file.mode === 'external' ? {} : { url_private: `${baseUrl}/files-pri/T061EG9R6-${id}/${encodeURIComponent(file.name)}`, url_private_download: `${baseUrl}/files-pri/T061EG9R6-${id}/download/${encodeURIComponent(file.name)}` }),
  });
  const needScope = (scope: string) => (scopes.has(scope) ? undefined : { ok: false, error: 'missing_scope', needed: scope, provided: [...scopes].join(',') });

  const server = await startHttpStandIn(async (request, res) => {
    // files.slack.com: a private file's bytes, for a bearer token with files:read; Slack's sign-in page otherwise.
    const download = /^\/files-pri\/T061EG9R6-([^/]+)\/download\//.exec(request.path);
    if (request.method === 'GET' && download) {
      const file = files.get(download[1]!);
      if (!request.headers.authorization?.startsWith('Bearer ') || !scopes.has('files:read')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end(SIGN_IN_PAGE);
      }
      if (!file) return void res.writeHead(404).end();
      if (file.redirect) {
        const location = file.redirect === 'edge' ? `${baseUrl}/files-edge/${download[1]!}` : file.redirect;
        return void res.writeHead(302, { location }).end();
      }
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.content.length });
      return void res.end(file.content);
    }
    // The host a redirected download ends on: the file, for the same bearer token.
    const edge = /^\/files-edge\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && edge) {
      const file = files.get(edge[1]!);
      if (!file || !request.headers.authorization?.startsWith('Bearer ')) return void res.writeHead(404).end();
      edgeDownloads.push({ fileId: edge[1]!, authorization: request.headers.authorization });
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.content.length });
      return void res.end(file.content);
    }
    // A press's response_url (hooks.slack.com/actions/…): a JSON message, here `response_type: ephemeral`.
    if (request.method === 'POST' && request.path.startsWith('/actions/')) {
      responses.push({ path: request.path, body: JSON.parse(request.rawBody || '{}') as Record<string, unknown> });
      return sendJson(res, 200, { ok: true });
    }
    // The upload URL files.getUploadURLExternal hands out: raw bytes, answered "OK - <size>".
    const upload = /^\/upload\/v1\/([^/?]+)/.exec(request.path);
    if (request.method === 'POST' && upload) {
      const pending = pendingUploads.get(upload[1]!);
      if (!pending) return void res.writeHead(404).end();
      pending.content = request.body;
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`OK - ${request.body.length}`);
    }
    const method = request.path.replace(/^\/api\//, '').split('?')[0]!;
    const args = decodeSlackArguments(request.headers['content-type'], request.rawBody);
    const call = { method, args, token: request.headers.authorization?.replace(/^Bearer /, ''), at: Date.now() };
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
    const answerLate = lateAnswers.get(method);
    const answer = answerLate ? (status: number, body: unknown) => void setTimeout(() => sendJson(res, status, body), answerLate) : (status: number, body: unknown) => sendJson(res, status, body);
    switch (method) {
      case 'users.info': {
        const profile = users.get(String(args.user));
        return profile
          ? sendJson(res, 200, { ok: true, user: { id: args.user, name: profile.display_name, real_name: profile.real_name, profile } })
          : sendJson(res, 200, { ok: false, error: 'user_not_found' });
      }
      case 'chat.postMessage': {
        tsCounter += 1;
        // Slack's ts is the time of posting (seconds.micro): what conversations.history's `oldest` compares with.
        const ts = `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
        const metadata = typeof args.metadata === 'string' ? (JSON.parse(args.metadata) as PostedMessage['metadata']) : (args.metadata as PostedMessage['metadata']);
        messages.push({ channel: String(args.channel), ts, threadTs: args.thread_ts as string | undefined, text: typeof args.text === 'string' ? args.text : '', metadata });
        return answer(200, { ok: true, channel: args.channel, ts, message: { ts, text: args.text } });
      }
      case 'conversations.history':
      case 'conversations.replies': {
        // https://docs.slack.dev/reference/methods/conversations.replies (and .history): messages from `oldest` on, newest
        // first for history, oldest first for replies (the parent first); metadata only with include_all_metadata.
        const refused = needScope('channels:history');
        if (refused) return sendJson(res, 200, refused);
        const oldest = Number(args.oldest ?? 0);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const inConversation = messages.filter((message) =>
          message.channel === args.channel && Number(message.ts) >= oldest && (method === 'conversations.history' ? message.threadTs === undefined : message.ts === args.ts || message.threadTs === args.ts),
        );
        const ordered = method === 'conversations.history' ? [...inConversation].reverse() : inConversation;
        // `inclusive` is false unless given: a message at exactly `oldest` is left out.
        const inclusive = args.inclusive === true || args.inclusive === 'true';
        const shown = ordered.filter((message) => inclusive || Number(message.ts) > oldest).slice(0, Number(args.limit ?? 100)).map((message) => ({
          type: 'message',
          ts: message.ts,
          text: message.text,
          ...(message.user ? { user: message.user } : { user: 'U0BRIDGEBOT', bot_id: 'B0BRIDGE01' }),
          ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
          ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
        }));
        return sendJson(res, 200, { ok: true, messages: shown, has_more: ordered.length > shown.length });
      }
      case 'chat.postEphemeral':
        return sendJson(res, 200, { ok: true, message_ts: `${1_717_700_000}.000001` });
      case 'chat.update':
        return sendJson(res, 200, { ok: true, channel: args.channel, ts: args.ts });
      case 'chat.delete':
        return sendJson(res, 200, { ok: true, channel: args.channel, ts: args.ts });
      case 'files.info': {
        const refused = needScope('files:read');
        if (refused) return sendJson(res, 200, refused);
        const file = files.get(String(args.file));
        if (file) return sendJson(res, 200, { ok: true, file: fileInfo(String(args.file), file) });
        const upload = uploaded.get(String(args.file));
        if (!upload) return sendJson(res, 200, { ok: false, error: 'file_not_found' });
        // https://docs.slack.dev/reference/objects/file-object: `shares` by channel kind and id, each with the message's ts.
        const { shared } = upload;
        const shares = shared ? { shares: { public: { [shared.channel]: [{ ts: shared.ts, ...(shared.threadTs ? { thread_ts: shared.threadTs } : {}) }] } } } : {};
        return sendJson(res, 200, { ok: true, file: { id: args.file, name: upload.name, ...shares } });
      }
      case 'files.getUploadURLExternal': {
        const refused = needScope('files:write');
        if (refused) return sendJson(res, 200, refused);
        const length = Number(args.length);
        if (!args.filename || !Number.isInteger(length) || length <= 0) return sendJson(res, 200, { ok: false, error: 'invalid_arguments' });
        if (uploadRules.disabled) return sendJson(res, 200, { ok: false, error: 'file_uploads_disabled' });
        if (uploadRules.imagesOnly && !/\.(png|jpe?g|gif|webp|heic)$/i.test(args.filename as string)) return sendJson(res, 200, { ok: false, error: 'file_uploads_except_images_disabled' });
        if (uploadRules.maxBytes !== undefined && length > uploadRules.maxBytes) return sendJson(res, 200, { ok: false, error: 'file_upload_size_restricted' });
        fileCounter += 1;
        const fileId = `F0UPLOAD${String(fileCounter).padStart(4, '0')}`;
        pendingUploads.set(fileId, { filename: args.filename as string, length });
        return sendJson(res, 200, { ok: true, upload_url: `${baseUrl}/upload/v1/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const refused = needScope('files:write');
        if (refused) return sendJson(res, 200, refused);
        const listed = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as { id: string; title?: string }[];
        for (const { id, title } of listed) {
          const pending = pendingUploads.get(id);
          // Slack finds no file whose bytes never arrived, or arrived other than as announced.
          if (!pending?.content || pending.content.length !== pending.length) return sendJson(res, 200, { ok: false, error: 'file_not_found' });
          uploads.push({
            fileId: id,
            filename: pending.filename,
            title,
            content: pending.content,
            channel: String(args.channel_id),
            threadTs: args.thread_ts as string | undefined,
            initialComment: args.initial_comment as string | undefined,
          });
          pendingUploads.delete(id);
          uploaded.set(id, { name: pending.filename });
          const share = () => {
            tsCounter += 1;
            const ts = `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
            const channel = String(args.channel_id);
            const threadTs = args.thread_ts as string | undefined;
            messages.push({ channel, ts, threadTs, text: typeof args.initial_comment === 'string' ? args.initial_comment : '', metadata: undefined, files: [id] });
            uploaded.set(id, { name: pending.filename, shared: { channel, ts, threadTs } });
          };
          if (shareState.delayMs > 0) setTimeout(share, shareState.delayMs);
          else share();
        }
        return sendJson(res, 200, { ok: true, files: listed.map(({ id, title }) => ({ id, title })) });
      }
      case 'auth.test':
        // https://docs.slack.dev/reference/methods/auth.test: the workspace's URL, which links to messages start with.
        return sendJson(res, 200, { ok: true, url: 'https://stand-in.slack.com/', team: 'Stand-in', team_id: 'T0STANDIN', user: 'bridge', user_id: 'U0BRIDGE', bot_id: 'B0BRIDGE' });
      case 'views.publish': {
        // https://docs.slack.dev/reference/methods/views.publish: a Home tab view for one user, replacing theirs; at most 100
        // blocks (https://docs.slack.dev/reference/block-kit/blocks), else invalid_blocks.
        const view = typeof args.view === 'string' ? (JSON.parse(args.view) as { type?: unknown; blocks?: unknown }) : (args.view as { type?: unknown; blocks?: unknown } | undefined);
        if (typeof args.user_id !== 'string' || !view || view.type !== 'home' || !Array.isArray(view.blocks)) return sendJson(res, 200, { ok: false, error: 'invalid_arguments' });
        if (view.blocks.length > 100) return sendJson(res, 200, { ok: false, error: 'invalid_blocks', response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] } });
        homeViews.set(args.user_id, { type: 'home', blocks: view.blocks });
        return sendJson(res, 200, { ok: true, view: { id: 'V0HOME', type: 'home', blocks: view.blocks } });
      }
      case 'reactions.add': {
        // https://docs.slack.dev/reference/methods/reactions.add: reactions:write; one reaction of a name per user and message.
        const refused = needScope('reactions:write');
        if (refused) return sendJson(res, 200, refused);
        if (typeof args.channel !== 'string' || typeof args.timestamp !== 'string') return sendJson(res, 200, { ok: false, error: 'no_item_specified' });
        const reaction = `${args.channel}:${args.timestamp}:${String(args.name)}`;
        if (reactions.has(reaction)) return sendJson(res, 200, { ok: false, error: 'already_reacted' });
        reactions.add(reaction);
        return sendJson(res, 200, { ok: true });
      }
      default:
        return sendJson(res, 200, { ok: false, error: 'unknown_method' });
    }
  });

  baseUrl = server.url;
  return {
    ...server,
    files,
    scopes,
    uploads,
    uploadRules,
    get shareDelayMs() {
      return shareState.delayMs;
    },
    set shareDelayMs(value: number) {
      shareState.delayMs = value;
    },
    responses,
    edgeDownloads,
    responseUrl: () => `${baseUrl}/actions/T061EG9R6/${(responseCounter += 1)}/response`,
    reactions,
    homeViews,
    apiUrl: `${server.url}/api/`,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    users,
    failing,
    delays,
    lateAnswers,
    messages,
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

import { randomUUID } from 'node:crypto';
import type * as sdk from '@botpress/sdk';
import { sendJson, startHttpStandIn, type RecordedRequest, type StandIn } from './http-stand-in';

/*
 * Plays (in tests and the sandbox) the part of Botpress's runtime API an integration calls
 * (api.botpress.cloud/v1/chat: users, conversations, messages, events), as
 * strict as Botpress: the bearer token, the bot and the integration must be
 * the installation's; a tag must be one the integration declares, and a
 * get-or-create's discriminating tags among those given; a conversation's
 * channel, a message's type and payload, an event's type and payload must
 * match the integration's definition (its own zod schemas, which Botpress
 * checks as JSON schemas). Errors come as Botpress's API errors do.
 *
 * States (/v1/chat/states/{type}/{id}/{name}, as @botpress/client 1.x calls
 * them: GET reads, POST sets, POST …/get-or-set, PATCH merges; see
 * botpress.com/docs/api-reference/runtime-api/openapi/getState and setState):
 * the name must be a state the integration declares, of that type, on a
 * conversation or user that exists; the payload must match its schema; a
 * state never set is 404 ResourceNotFound, and a null payload deletes it.
 */

export interface StoredUser {
  id: string;
  name?: string;
  pictureUrl?: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
export interface StoredConversation {
  id: string;
  channel: string;
  integration: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
export interface StoredMessage {
  id: string;
  conversationId: string;
  userId: string;
  type: string;
  payload: Record<string, unknown>;
  tags: Record<string, string>;
  direction: 'incoming';
  createdAt: string;
  updatedAt: string;
}
export interface StoredEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  conversationId?: string;
  userId?: string;
  status: 'pending';
  failureReason: null;
  createdAt: string;
}

export interface StoredState {
  id: string;
  botId: string;
  name: string;
  type: string;
  conversationId?: string;
  userId?: string;
  payload: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface BotpressApiStandIn extends StandIn {
  readonly users: StoredUser[];
  /** The integration's states, by `<type>/<id>/<name>`. */
  readonly states: Map<string, StoredState>;
  readonly conversations: StoredConversation[];
  readonly messages: StoredMessage[];
  readonly events: StoredEvent[];
  /** Every call, refused ones included, with the status it got. */
  readonly calls: { readonly method: string; readonly path: string; readonly status: number }[];
  messagesIn(conversationId: string): StoredMessage[];
  /**
   * The API failing its next writes, as it does under load: `times` calls
   * answered with this status and the API's error body ({ id, code, type,
   * message }: 500 Internal, 503 Unavailable, 429 RateLimited), then as usual.
   */
  failing: { readonly status: number; readonly type: string; times: number } | undefined;
  /** Told of every message and event created, after it is stored (the sandbox's simulated HITL plugin listens). */
  onCreated(listener: (created: { readonly message: StoredMessage } | { readonly event: StoredEvent }) => void): () => void;
}

export interface BotpressApiOptions {
  readonly definition: sdk.IntegrationDefinition;
  readonly token: string;
  readonly botId: string;
  readonly integrationId: string;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startBotpressApiStandIn(options: BotpressApiOptions): Promise<BotpressApiStandIn> {
  const { definition } = options;
  const users: StoredUser[] = [];
  const conversations: StoredConversation[] = [];
  const messages: StoredMessage[] = [];
  const events: StoredEvent[] = [];
  const calls: { method: string; path: string; status: number }[] = [];
  const listeners = new Set<(created: { message: StoredMessage } | { event: StoredEvent }) => void>();
  const created = (item: { message: StoredMessage } | { event: StoredEvent }) => {
    for (const listener of listeners) listener(item);
  };
  const now = () => new Date().toISOString();
  const id = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 26)}`;

  const declared = {
    user: Object.keys(definition.user?.tags ?? {}),
    conversation: (channel: string) => Object.keys(definition.channels?.[channel]?.conversation?.tags ?? {}),
    message: (channel: string) => Object.keys(definition.channels?.[channel]?.message?.tags ?? {}),
  };
  const checkTags = (tags: unknown, allowed: string[], what: string, discriminateByTags?: unknown): Record<string, string> => {
    if (tags === undefined) return {};
    if (typeof tags !== 'object' || tags === null) throw new ApiError(400, 'InvalidPayload', `${what} tags must be an object`);
    for (const [key, value] of Object.entries(tags)) {
      if (!allowed.includes(key)) throw new ApiError(400, 'InvalidPayload', `${what} tag "${key}" is not defined by integration "${definition.name}"`);
      if (typeof value !== 'string') throw new ApiError(400, 'InvalidPayload', `${what} tag "${key}" must be a string`);
    }
    for (const key of (discriminateByTags as string[] | undefined) ?? []) {
      if (!(key in tags)) throw new ApiError(400, 'InvalidPayload', `discriminating tag "${key}" is not among the ${what} tags given`);
    }
    return tags as Record<string, string>;
  };
  const matching = <T extends { tags: Record<string, string> }>(items: T[], tags: Record<string, string>, keys: string[] | undefined) =>
    items.find((item) => (keys ?? Object.keys(tags)).every((key) => item.tags[key] === tags[key]));
  const find = <T extends { id: string }>(items: T[], itemId: string, what: string): T => {
    const item = items.find((candidate) => candidate.id === itemId);
    if (!item) throw new ApiError(404, 'ResourceNotFound', `${what} ${itemId} does not exist`);
    return item;
  };
  const states = new Map<string, StoredState>();
  const conversationOf = (conversationId: unknown) => find(conversations, String(conversationId), 'Conversation');
  const userOf = (userId: unknown) => find(users, String(userId), 'User');

  function validMessage(conversation: StoredConversation, type: unknown, payload: unknown): void {
    const schema = definition.channels?.[conversation.channel]?.messages[String(type)]?.schema;
    if (!schema) throw new ApiError(400, 'InvalidPayload', `message type "${String(type)}" is not defined in channel "${conversation.channel}"`);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new ApiError(400, 'InvalidPayload', `message payload is invalid: ${parsed.error.message}`);
  }

  /** A state call: `rest` is what follows /v1/chat/states/. */
  function stateCall(method: string, rest: string, body: Record<string, unknown>): unknown {
    const [type = '', ownerId = '', name = '', operation] = rest.split('/').map(decodeURIComponent);
    const declared = definition.states?.[name];
    if (!declared) throw new ApiError(400, 'InvalidPayload', `state "${name}" is not defined by integration "${definition.name}"`);
    if (declared.type !== type) throw new ApiError(400, 'InvalidPayload', `state "${name}" is a ${declared.type} state, not a ${type} one`);
    if (type === 'conversation') conversationOf(ownerId);
    if (type === 'user') userOf(ownerId);
    const key = `${type}/${ownerId}/${name}`;
    const existing = states.get(key);
    const valid = (payload: unknown): Record<string, unknown> => {
      const parsed = declared.schema.safeParse(payload);
      if (!parsed.success) throw new ApiError(400, 'InvalidDataFormat', `state payload is invalid: ${parsed.error.message}`);
      return payload as Record<string, unknown>;
    };
    const store = (payload: Record<string, unknown>) => {
      const state: StoredState = {
        id: existing?.id ?? id('state'),
        botId: options.botId,
        name,
        type,
        ...(type === 'conversation' ? { conversationId: ownerId } : type === 'user' ? { userId: ownerId } : {}),
        payload,
        createdAt: existing?.createdAt ?? now(),
        updatedAt: now(),
      };
      states.set(key, state);
      return { state };
    };
    if (method === 'GET' && operation === undefined) {
      if (!existing) throw new ApiError(404, 'ResourceNotFound', `state ${name} of ${type} ${ownerId} does not exist`);
      return { state: existing, meta: { cached: false } };
    }
    if (method === 'POST' && operation === 'get-or-set') return existing ? { state: existing, meta: { cached: false } } : { ...store(valid(body.payload)), meta: { cached: false } };
    if (method === 'POST' && operation === undefined) {
      if (body.payload === null) {
        states.delete(key);
        return { state: existing ?? null };
      }
      return store(valid(body.payload));
    }
    if (method === 'PATCH' && operation === undefined) {
      if (!existing) throw new ApiError(404, 'ResourceNotFound', `state ${name} of ${type} ${ownerId} does not exist`);
      return store(valid({ ...existing.payload, ...(body.payload as Record<string, unknown>) }));
    }
    throw new ApiError(404, 'ResourceNotFound', `no route ${method} /v1/chat/states/${rest}`);
  }

  function answer(request: RecordedRequest): unknown {
    if (request.headers.authorization !== `Bearer ${options.token}`) throw new ApiError(401, 'Unauthorized', 'Invalid or missing token');
    if (request.headers['x-bot-id'] !== options.botId || request.headers['x-integration-id'] !== options.integrationId) {
      throw new ApiError(403, 'Forbidden', 'The bot or integration header is not this installation’s');
    }
    const body = (request.rawBody ? JSON.parse(request.rawBody) : {}) as Record<string, unknown>;
    const statePath = /^\/v1\/chat\/states\/(.+)$/.exec(request.path.split('?')[0]!);
    if (statePath) return stateCall(request.method, statePath[1]!, body);
    const route = `${request.method} ${request.path.split('?')[0]!.replace(/\/(user|conv|msg|evt)_[A-Za-z0-9]+/, '/:id')}`;
    const pathId = /\/((?:user|conv|msg|evt)_[A-Za-z0-9]+)/.exec(request.path)?.[1];
    switch (route) {
      case 'POST /v1/chat/users/get-or-create': {
        const tags = checkTags(body.tags, declared.user, 'user', body.discriminateByTags);
        const existing = matching(users, tags, body.discriminateByTags as string[] | undefined);
        if (existing) return { user: existing };
        const user: StoredUser = { id: id('user'), tags, createdAt: now(), updatedAt: now(), ...(typeof body.name === 'string' ? { name: body.name } : {}), ...(typeof body.pictureUrl === 'string' ? { pictureUrl: body.pictureUrl } : {}) };
        users.push(user);
        return { user };
      }
      case 'GET /v1/chat/users/:id':
        return { user: userOf(pathId) };
      case 'PUT /v1/chat/users/:id': {
        const user = userOf(pathId);
        Object.assign(user.tags, checkTags(body.tags, declared.user, 'user'));
        if (typeof body.name === 'string') user.name = body.name;
        if (typeof body.pictureUrl === 'string') user.pictureUrl = body.pictureUrl;
        user.updatedAt = now();
        return { user };
      }
      case 'POST /v1/chat/conversations/get-or-create': {
        const channel = String(body.channel);
        if (!definition.channels?.[channel]) throw new ApiError(400, 'InvalidPayload', `channel "${channel}" is not defined by integration "${definition.name}"`);
        const tags = checkTags(body.tags, declared.conversation(channel), 'conversation', body.discriminateByTags);
        const existing = matching(conversations, tags, body.discriminateByTags as string[] | undefined);
        if (existing) return { conversation: existing };
        const conversation: StoredConversation = { id: id('conv'), channel, integration: definition.name, tags, createdAt: now(), updatedAt: now() };
        conversations.push(conversation);
        return { conversation };
      }
      case 'GET /v1/chat/conversations/:id':
        return { conversation: conversationOf(pathId) };
      case 'POST /v1/chat/messages':
      case 'POST /v1/chat/messages/get-or-create': {
        const conversation = conversationOf(body.conversationId);
        userOf(body.userId);
        validMessage(conversation, body.type, body.payload);
        const getOrCreate = route.endsWith('get-or-create');
        const tags = checkTags(body.tags, declared.message(conversation.channel), 'message', getOrCreate ? body.discriminateByTags : undefined);
        const existing = getOrCreate ? matching(messages.filter((message) => message.conversationId === conversation.id), tags, body.discriminateByTags as string[] | undefined) : undefined;
        if (existing) return { message: existing };
        const message: StoredMessage = {
          id: id('msg'),
          conversationId: conversation.id,
          userId: String(body.userId),
          type: String(body.type),
          payload: body.payload as Record<string, unknown>,
          tags,
          direction: 'incoming',
          createdAt: now(),
          updatedAt: now(),
        };
        messages.push(message);
        created({ message });
        return { message };
      }
      case 'POST /v1/chat/events': {
        const type = String(body.type);
        const schema = definition.events?.[type]?.schema;
        if (!schema) throw new ApiError(400, 'InvalidPayload', `event type "${type}" is not defined by integration "${definition.name}"`);
        const parsed = schema.safeParse(body.payload);
        if (!parsed.success) throw new ApiError(400, 'InvalidPayload', `event payload is invalid: ${parsed.error.message}`);
        if (body.conversationId !== undefined) conversationOf(body.conversationId);
        const event: StoredEvent = {
          id: id('evt'),
          type,
          payload: body.payload as Record<string, unknown>,
          ...(typeof body.conversationId === 'string' ? { conversationId: body.conversationId } : {}),
          status: 'pending',
          failureReason: null,
          createdAt: now(),
        };
        events.push(event);
        created({ event });
        return { event };
      }
      default:
        throw new ApiError(404, 'ResourceNotFound', `no route ${route}`);
    }
  }

  const state: { failing: BotpressApiStandIn['failing'] } = { failing: undefined };
  const server = await startHttpStandIn((request, response) => {
    const fault = state.failing;
    if (fault && fault.times > 0 && request.method !== 'GET') {
      fault.times -= 1;
      calls.push({ method: request.method, path: request.path, status: fault.status });
      return sendJson(response, fault.status, { id: id('err'), code: fault.status, type: fault.type, message: 'An internal error occurred' });
    }
    try {
      const body = answer(request);
      calls.push({ method: request.method, path: request.path, status: 200 });
      sendJson(response, 200, body);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(500, 'Internal', String(error));
      calls.push({ method: request.method, path: request.path, status: failure.code });
      sendJson(response, failure.code, { id: id('err'), code: failure.code, type: failure.type, message: failure.message });
    }
  });
  return {
    ...server,
    users,
    states,
    conversations,
    messages,
    events,
    calls,
    messagesIn: (conversationId) => messages.filter((message) => message.conversationId === conversationId),
    get failing() {
      return state.failing;
    },
    set failing(value) {
      state.failing = value;
    },
    onCreated: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

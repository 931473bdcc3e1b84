import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { tokensMatch } from '../shared/botpress/auth';
import { URL_FIELD_OF_KIND } from '../shared/botpress/contract';
import { readBody } from './api-gateway-adapter';
import { runBotpressSnippet, type SnippetName } from './botpress-snippets';

export interface BotMessage {
  readonly conversationId: string;
  readonly userId: string;
  readonly type: string;
  /** A text message's text; of an image, audio, video or file message, its URL. */
  readonly text: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The message types the snippets send, with the field Botpress requires of
 * each (its SDK's message schemas: a non-empty string), as Botpress checks
 * them: createMessage fails otherwise.
 */
const REQUIRED_FIELD: Readonly<Record<string, string>> = { text: 'text', ...URL_FIELD_OF_KIND };

/** A conversation's variables: the main workflow's, and the conversation's (every workflow's). */
export interface ConversationVariables {
  readonly workflow: Record<string, unknown>;
  readonly conversation: Record<string, unknown>;
}

export interface SimulatedBotpressOptions {
  /** The Webhook integration's secret, checked on `x-bp-secret` as Botpress does. */
  readonly webhookSecret: string;
  /** The configuration variables the snippets read. */
  readonly env: { readonly bridgeUrl: string; readonly bridgeToken: string };
}

/**
 * Plays Botpress for the local sandbox and the end-to-end tests, with the
 * shipped snippets: its Webhook integration URL runs `botpress/webhook-handler.js`
 * on every POST, and `runCard` runs an Execute Code snippet in a conversation,
 * with real axios calls to the bridge. Only the Botpress client is simulated:
 * `createMessage` records what the customer would see.
 */
export class SimulatedBotpress {
  readonly botId = 'bot_simulated';
  readonly messages: BotMessage[] = [];
  /** Answer the webhook with this status instead of running the handler (an outage); undefined: up. */
  outageStatus: number | undefined;
  /** Errors the webhook flow raised after the webhook had answered 200. */
  readonly flowFailures: unknown[] = [];
  private readonly flows = new Set<Promise<void>>();
  private readonly state = new Map<string, ConversationVariables & { readonly workflows: Map<string, Record<string, unknown>> }>();
  private readonly listeners = new Set<(message: BotMessage) => void>();
  private server: Server | undefined;
  private origin = '';
  private readonly files = new Map<string, { content: Buffer; contentType: string }>();
  private env: SimulatedBotpressOptions['env'];

  constructor(private readonly options: SimulatedBotpressOptions) {
    this.env = options.env;
  }

  /** Starts the webhook endpoint on loopback; returns the URL to give the bridge as BOTPRESS_WEBHOOK_URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      if (request.method === 'GET' && request.url?.startsWith('/files/')) {
        const file = this.files.get(decodeURIComponent(request.url.slice('/files/'.length)));
        response.writeHead(file ? 200 : 404, { 'content-type': file?.contentType ?? 'application/json' });
        return void response.end(file?.content ?? '{"message":"File not found"}');
      }
      void this.acceptWebhook(request.headers['x-bp-secret'], request.url ?? '/', readBody(request)).then(
        (status) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(status < 300 ? {} : { error: status }));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: String(error) }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return `${this.origin}/webhook`;
  }

  /** Points the snippets at a bridge that started after this simulator. */
  configure(env: SimulatedBotpressOptions['env']): void {
    this.env = env;
  }

  onMessage(listener: (message: BotMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A conversation's variables, as the snippets see them; tests and the sandbox fill `conversation.SummaryAgent`. */
  conversationState(conversationId: string): ConversationVariables {
    return this.variables(conversationId);
  }

  private variables(conversationId: string) {
    let state = this.state.get(conversationId);
    if (!state) {
      const workflow = {};
      state = { workflow, conversation: {}, workflows: new Map([['main', workflow]]) };
      this.state.set(conversationId, state);
    }
    return state;
  }

  /**
   * Runs an Execute Code snippet in a conversation; returns its conversation variables afterwards (where the
   * snippets keep the handoff). `workflow` names the workflow it runs in: each has variables of its own, as in
   * Studio, so a snippet in the Timeout workflow does not see the main workflow's.
   */
  async runCard(
    name: Exclude<SnippetName, 'webhook-handler'>,
    conversationId: string,
    event: Record<string, unknown> = {},
    options: { workflow?: string } = {},
  ): Promise<Record<string, unknown>> {
    const { conversation, workflows } = this.variables(conversationId);
    const workflowName = options.workflow ?? 'main';
    if (!workflows.has(workflowName)) workflows.set(workflowName, {});
    const workflow = workflows.get(workflowName)!;
    await runBotpressSnippet(name, {
      axios,
      client: this.client(),
      env: { ...this.env },
      workflow,
      conversation,
      event: { conversationId, userId: `user_of_${conversationId}`, botId: this.botId, ...event },
    });
    return conversation;
  }

  messagesFor(conversationId: string): string[] {
    return this.messages.filter((message) => message.conversationId === conversationId).map((message) => message.text);
  }

  async close(): Promise<void> {
    await Promise.all(this.flows);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /**
   * As Botpress's Webhook integration does: 200 once the event is accepted,
   * before the flow that handles it has run. A 200 says nothing about what the
   * customer sees; a failure of the snippet shows in `flowFailures`, as in
   * Studio's logs, and the bridge never hears of it.
   */
  private async acceptWebhook(secretHeader: string | string[] | undefined, path: string, bodyPromise: Promise<Buffer>): Promise<number> {
    const rawBody = (await bodyPromise).toString('utf8');
    if (typeof secretHeader !== 'string' || !tokensMatch(secretHeader, this.options.webhookSecret)) return 401;
    if (this.outageStatus !== undefined) return this.outageStatus;
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return 400;
    }
    const flow = runBotpressSnippet('webhook-handler', {
      axios,
      client: this.client(),
      env: { ...this.env },
      workflow: {},
      conversation: {},
      event: { type: 'webhook:event', botId: this.botId, conversationId: 'conv_webhook', payload: { body, method: 'POST', path, query: {} } },
    }).catch((error: unknown) => {
      this.flowFailures.push(error);
    });
    this.flows.add(flow);
    void flow.finally(() => this.flows.delete(flow));
    return 200;
  }

  /** Keeps a file as Botpress's file storage would for a customer's upload; returns its URL. */
  hostFile(name: string, content: Buffer, contentType: string): string {
    this.files.set(name, { content, contentType });
    return `${this.origin}/files/${encodeURIComponent(name)}`;
  }

  private client() {
    return {
      createMessage: (input: { conversationId: string; userId: string; type: string; payload: Record<string, unknown>; tags: object }) => {
        const field = REQUIRED_FIELD[input.type];
        const value = field === undefined ? undefined : input.payload[field];
        if (typeof value !== 'string' || value === '') {
          return Promise.reject(new Error(`createMessage: a ${input.type} message needs a non-empty payload.${field ?? '?'} (Botpress's message schemas)`));
        }
        const message = { conversationId: input.conversationId, userId: input.userId, type: input.type, text: value, payload: input.payload };
        this.messages.push(message);
        for (const listener of this.listeners) listener(message);
        return Promise.resolve({ message: { id: `msg_${this.messages.length}`, ...input } });
      },
    };
  }
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as sdk from '@botpress/sdk';

/*
 * Plays Botpress's runtime towards an integration, with the HTTP requests it
 * sends one (@botpress/sdk's own handling reads them): the operation and the
 * installation in headers, the configuration as base64 JSON, the payload as
 * the body. Its webhook URL takes what the bridge POSTs and hands it on as a
 * `webhook_received` operation, as webhook.botpress.cloud does, answering
 * with what the integration answered.
 */

export interface Installation {
  readonly botId: string;
  readonly botUserId: string;
  readonly integrationId: string;
  readonly webhookId: string;
  readonly configuration: Record<string, unknown>;
}

export interface BotpressRuntime {
  /** Where the bridge sends its events: the integration's webhook URL. */
  readonly webhookUrl: string;
  /** What the webhook answered the bridge, in order. */
  readonly webhookAnswers: { readonly status: number; readonly body: string }[];
  /** What the bridge sent the webhook, as received (headers and body), in order: a test can send one again. */
  readonly webhookRequests: { readonly headers: Record<string, string>; readonly body: string }[];
  /** The installation's bot: the user the HITL plugin writes its messages as (local/hitl-plugin.ts). */
  readonly botId: string;
  action<T = unknown>(type: string, input: unknown): Promise<T>;
  /** A message on one of the integration's channels, as the bot (here, the HITL plugin) sends it. */
  message(props: { conversation: { id: string; channel: string; tags: Record<string, string> }; user: { id: string }; type: string; payload: unknown; messageId?: string }): Promise<sdk.Response>;
  operation(operation: string, body: unknown, headers?: Record<string, string>): Promise<sdk.Response>;
  close(): Promise<void>;
}

type Integration = Pick<sdk.Integration, 'handler'>;

export async function startBotpressRuntime(integration: Integration, installation: Installation): Promise<BotpressRuntime> {
  const headersFor = (operation: string, type?: string): Record<string, string> => ({
    'x-bp-operation': operation,
    ...(type ? { 'x-bp-type': type } : {}),
    'x-bot-id': installation.botId,
    'x-bot-user-id': installation.botUserId,
    'x-integration-id': installation.integrationId,
    'x-integration-alias': 'slack-hitl-bridge',
    'x-webhook-id': installation.webhookId,
    'x-bp-configuration': Buffer.from(JSON.stringify(installation.configuration)).toString('base64'),
    'content-type': 'application/json',
  });
  const operation = async (name: string, body: unknown, extra: Record<string, string> = {}): Promise<sdk.Response> =>
    (await integration.handler({ method: 'POST', path: '/', query: '', headers: { ...headersFor(name, extra['x-bp-type']), ...extra }, body: JSON.stringify(body) })) ?? { status: 200 };

  const webhookAnswers: { status: number; body: string }[] = [];
  const webhookRequests: { headers: Record<string, string>; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://webhook.local');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value]));
      const req: sdk.Request = { method: request.method ?? 'POST', path: url.pathname.replace(`/${installation.webhookId}`, '') || '/', query: url.search.slice(1), headers, body: Buffer.concat(chunks).toString('utf8') };
      webhookRequests.push({ headers: headers as Record<string, string>, body: req.body! });
      void operation('webhook_received', { req }).then(
        (answer) => {
          webhookAnswers.push({ status: answer.status ?? 200, body: answer.body ?? '' });
          response.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
          response.end(answer.body ?? '');
        },
        (error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${installation.webhookId}`,
    webhookAnswers,
    webhookRequests,
    botId: installation.botId,
    operation,
    action: async <T>(type: string, input: unknown) => {
      const answer = await operation('action_triggered', { type, input }, { 'x-bp-type': type });
      if ((answer.status ?? 200) !== 200) throw new Error(`action ${type} failed (${answer.status}): ${answer.body}`);
      return (JSON.parse(answer.body ?? '{}') as { output: T }).output;
    },
    message: (props) => {
      const now = new Date().toISOString();
      const message = { id: props.messageId ?? `msg_${Math.random().toString(36).slice(2)}`, conversationId: props.conversation.id, userId: props.user.id, type: props.type, payload: props.payload, tags: {}, direction: 'outgoing', createdAt: now, updatedAt: now };
      return operation(
        'message_created',
        { conversation: { ...props.conversation, integration: 'slack-hitl-bridge', createdAt: now, updatedAt: now }, user: { ...props.user, tags: {}, createdAt: now, updatedAt: now }, type: props.type, payload: props.payload, message },
        { 'x-bp-type': props.type },
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

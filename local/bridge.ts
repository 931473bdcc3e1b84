import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../shared/http';
import { ROUTES } from '../infra/routes';
import { settingsEnvironment } from '../shared/settings';
import { readBody, toApiGatewayEvent, writeResponse } from './api-gateway-adapter';
import type { LocalBridgeConfig } from './config';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';

type Handler = (event: APIGatewayProxyEventV2, context: object) => Promise<HttpResponse>;

/** Serves a request that is not one of the bridge's routes; returns false to let it 404. */
export type ExtraRoutes = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

export interface LocalBridge {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the very same Lambda handlers over HTTP, on the routes API Gateway
 * gives them in AWS. The handlers read their settings from process.env at
 * import, as in Lambda, so the environment is set before they are loaded.
 */
export async function startLocalBridge(config: LocalBridgeConfig, extraRoutes?: ExtraRoutes): Promise<LocalBridge> {
  let embedded: EmbeddedDynamo | undefined;
  const endpoint = config.dynamodbEndpoint ?? (embedded = await startEmbeddedDynamo({ path: config.dataDir, ownProcess: true })).endpoint;
  await ensureTable(endpoint, config.tableName);
  Object.assign(process.env, config.functionEnv, settingsEnvironment({ dynamodbEndpoint: endpoint }));

  const [slack, botpress] = await Promise.all([
    import('../functions/slack-events/handler') as Promise<{ handler: Handler }>,
    import('../functions/botpress-callbacks/handler') as Promise<{ handler: Handler }>,
  ]);
  const handlers = new Map<string, Handler>([
    ...ROUTES['slack-events'].map((route) => [`POST ${route}`, slack.handler] as const),
    ...ROUTES['botpress-callbacks'].map((route) => [`POST ${route}`, botpress.handler] as const),
  ]);

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method === 'GET' && url.pathname === '/healthz') return writeResponse(response, { statusCode: 200, body: 'ok' });
      const handler = handlers.get(`${request.method} ${url.pathname}`);
      if (!handler && (await extraRoutes?.(request, response, url))) return;
      if (!handler) return writeResponse(response, { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not_found"}' });
      const event = toApiGatewayEvent(request, await readBody(request));
      writeResponse(response, await handler(event, {}));
    })().catch((error: unknown) => {
      // The handlers answer every error themselves; this is the adapter failing (e.g. a body over 1 MiB).
      if (!response.headersSent) writeResponse(response, { statusCode: 400, body: String(error instanceof Error ? error.message : error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await embedded?.close();
    },
  };
}

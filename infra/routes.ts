import { FILE_ROUTE_PREFIX } from '../shared/domain/files/links';
import type { HttpFunctionName } from './bundling';

/** The routes each function serves (all POST): API Gateway, the local bridge and the handlers agree on these. */
export const ROUTES: Readonly<Record<HttpFunctionName, readonly string[]>> = {
  'slack-events': ['/slack/events', '/slack/interactions'],
  'botpress-callbacks': ['/botpress/handoff', '/botpress/message', '/botpress/end'],
};

/** Customers' links to agents' files: GET, any path under the prefix, served by the Botpress-side function (its signed link is its auth). */
export const FILE_ROUTE = { function: 'botpress-callbacks', prefix: FILE_ROUTE_PREFIX, apiGatewayPath: `${FILE_ROUTE_PREFIX}{proxy+}` } as const satisfies {
  function: HttpFunctionName;
  prefix: string;
  apiGatewayPath: string;
};

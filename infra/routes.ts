import type { HttpFunctionName } from './bundling';

/** The routes each function serves (all POST): API Gateway, the local bridge and the handlers agree on these. */
export const ROUTES: Readonly<Record<HttpFunctionName, readonly string[]>> = {
  'slack-events': ['/slack/events', '/slack/interactions'],
  'botpress-callbacks': ['/botpress/handoff', '/botpress/message', '/botpress/end'],
};

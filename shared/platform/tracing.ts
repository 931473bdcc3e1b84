import type { MiddlewareObj } from '@middy/core';

/*
 * AWS X-Ray through Powertools' Tracer, when POWERTOOLS_TRACE_ENABLED is
 * true (`-c tracing=true`): a segment per invocation (cold start and service
 * annotated), and a subsegment per AWS call. Off, nothing of it is loaded:
 * the Tracer and the X-Ray SDK are bundled apart and imported only here
 * (LAZY_MODULES, infra/bundling.ts), so a cold start without tracing costs
 * what it did.
 */

export interface Tracing {
  /** The invocation's segment: first in the chain, so that it spans the whole invocation. */
  readonly middleware: MiddlewareObj;
  /** Has each call of an AWS SDK client traced as a subsegment. */
  readonly instrument: <Client>(client: Client) => Client;
}

/** What a function wires in: no tracing at all, or the Tracer's. */
export async function startTracing(settings: { readonly tracing: boolean }): Promise<Tracing | undefined> {
  if (!settings.tracing) return undefined;
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]);
  // Its service name, like the logger's and the metrics', from POWERTOOLS_SERVICE_NAME.
  const tracer = new Tracer();
  return {
    // Not the handler's answer (an HTTP body, a batch report) as metadata: the bridge keeps message text out of every record.
    middleware: captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
    instrument: (client) => tracer.captureAWSv3Client(client),
  };
}

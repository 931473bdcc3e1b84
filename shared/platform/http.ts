import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

export function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function textResponse(statusCode: number, body: string): HttpResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

/** API Gateway lowercases header names for HTTP APIs, but other callers (tests, adapters) may not. */
export function getHeader(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  // API Gateway's HTTP API already lowercases names: the common case is one property read.
  if (wanted in headers) return headers[wanted];
  // An absent header (most often x-slack-retry-num) costs a scan; comparing lengths first keeps it cheap.
  for (const key in headers) {
    if (key.length === wanted.length && key.toLowerCase() === wanted) return headers[key];
  }
  return undefined;
}

/** The body exactly as sent: base64-encoded bodies are decoded as bytes, not as text. */
export function rawBodyBytes(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The body as text: a base64-encoded body decoded from its bytes as UTF-8, a text body as it is (no copy). */
export function rawBodyText(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string {
  return event.isBase64Encoded ? rawBodyBytes(event).toString('utf8') : (event.body ?? '');
}

/** `POST /slack/events`: the matched API Gateway route, independent of stage prefixes in the raw path. */
export function routeOf(event: Pick<APIGatewayProxyEventV2, 'routeKey' | 'rawPath' | 'requestContext'>): string {
  return event.routeKey && event.routeKey !== '$default' ? event.routeKey : `${event.requestContext.http.method} ${event.rawPath}`;
}

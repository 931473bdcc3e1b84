import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signSlackRequest } from '../../shared/platform/hmac';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

export interface SlackRequestOptions {
  readonly path?: string;
  readonly secret?: string;
  readonly timestamp?: number;
  readonly contentType?: string;
  /** API Gateway base64-encodes some bodies; the signature covers the decoded bytes. */
  readonly base64?: boolean;
  readonly retryNum?: number;
  /** Header names as Slack sends them (mixed case) instead of API Gateway's lowercase. */
  readonly mixedCaseHeaders?: boolean;
  readonly headers?: Record<string, string | undefined>;
}

/** An API Gateway HTTP API (payload v2) event carrying a body signed the way Slack signs it. */
export function signedSlackRequest(rawBody: string, options: SlackRequestOptions = {}): APIGatewayProxyEventV2 {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = signSlackRequest(options.secret ?? SIGNING_SECRET, timestamp, Buffer.from(rawBody, 'utf8'));
  const names = options.mixedCaseHeaders
    ? { ts: 'X-Slack-Request-Timestamp', sig: 'X-Slack-Signature', type: 'Content-Type', retry: 'X-Slack-Retry-Num' }
    : { ts: 'x-slack-request-timestamp', sig: 'x-slack-signature', type: 'content-type', retry: 'x-slack-retry-num' };
  const headers: Record<string, string> = {
    [names.ts]: String(timestamp),
    [names.sig]: signature,
    [names.type]: options.contentType ?? 'application/json',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (options.retryNum !== undefined) {
    headers[names.retry] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_error';
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return apiGatewayEvent(options.path ?? '/slack/events', rawBody, headers, options.base64 ?? false);
}

export function apiGatewayEvent(path: string, rawBody: string, headers: Record<string, string>, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: base64 ? Buffer.from(rawBody, 'utf8').toString('base64') : rawBody,
    isBase64Encoded: base64,
  };
}

/** Plays Slack towards a running bridge: POSTs a body to its events or interactions route with Slack's signature headers; resolves with the status. */
export async function postAsSlack(bridgeUrl: string, signingSecret: string, route: 'events' | 'interactions', body: string, retryNum?: number): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${bridgeUrl}/slack/${route}`, {
    method: 'POST',
    headers: {
      'content-type': route === 'events' ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(signingSecret, timestamp, body),
      ...(retryNum === undefined ? {} : { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_error' }),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

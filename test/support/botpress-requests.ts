import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BRIDGE_TOKEN } from './bridge-harness';
import { apiGatewayEvent } from './slack-requests';

/** A request as a Botpress Execute Code card sends it: JSON with the bridge API token as a bearer token. */
export function botpressRequest(path: string, body: unknown, token: string | null = BRIDGE_TOKEN): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'axios/1.7.9' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return apiGatewayEvent(path, typeof body === 'string' ? body : JSON.stringify(body), headers);
}

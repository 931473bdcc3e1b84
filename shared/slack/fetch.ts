import type { FetchFunction } from '@slack/web-api';
import type { IncomingHttpHeaders } from 'node:http';
import { sendHttpRequest, type HttpAnswer } from '../platform/node-http';

type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/**
 * The Slack Web API client's `fetch` (its documented transport option), over
 * the bridge's node:http client. By default @slack/web-api calls the global
 * fetch, whose first use is dear in a cold container (bench/README.md): paid
 * by the first agent reply, the first card, the first customer message.
 * Web API calls are POSTs of a form or JSON string answered with JSON, which
 * is all this carries: a FormData body (file uploads) is refused.
 */
export const fetchOverNodeHttp: FetchFunction = async (url, init = {}) => {
  if (init.body !== undefined && typeof init.body !== 'string') {
    throw new TypeError('fetchOverNodeHttp sends string bodies only; the bridge uploads no files');
  }
  const answer = await sendHttpRequest({ url, method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: init.signal });
  if (init.redirect === 'error' && answer.status >= 300 && answer.status < 400) {
    throw new TypeError(`redirected (${answer.status}) where redirects are refused`);
  }
  return fetchResponse(answer);
};

const headerValue = (value: string | string[]): string => (Array.isArray(value) ? value.join(', ') : value);

function fetchResponse(answer: HttpAnswer): FetchResponse {
  const headers: IncomingHttpHeaders = answer.headers;
  return {
    ok: answer.status >= 200 && answer.status < 300,
    status: answer.status,
    statusText: answer.statusText,
    url: answer.url,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : headerValue(value);
      },
      entries: () => Object.entries(headers).flatMap(([name, value]): [string, string][] => (value === undefined ? [] : [[name, headerValue(value)]])),
    },
    // A copy the size of the body: a Buffer's own ArrayBuffer may be a pool shared with other data.
    arrayBuffer: () => Promise.resolve(new Uint8Array(answer.body).buffer),
    json: () => Promise.resolve(JSON.parse(answer.body.toString('utf8')) as unknown),
    text: () => Promise.resolve(answer.body.toString('utf8')),
  };
}

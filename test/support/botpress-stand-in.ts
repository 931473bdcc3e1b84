import { sendJson, startHttpStandIn, type RecordedRequest, type StandIn } from '../../local/http-stand-in';

export interface BotpressStandIn extends StandIn {
  /** Requests that were answered 2xx, i.e. delivered. */
  readonly delivered: RecordedRequest[];
  /** Every request, including refused ones. */
  readonly received: RecordedRequest[];
  /** The status to answer with; 200 unless a test makes it fail. */
  status: number;
  /** Delay before answering, to play a slow webhook. */
  delayMs: number;
  /** Awaited before answering each request: a test holds the answer until something else has happened. */
  beforeAnswer: (() => Promise<void>) | undefined;
  /** Sent as Retry-After with a 429 or 503, as Botpress's API does when it limits or sheds load. */
  retryAfterSeconds: number | undefined;
  /** Decides the status for one request (one conversation failing while others pass); the `status` field otherwise. */
  statusFor: ((body: { conversationId?: string; type?: string }) => number | undefined) | undefined;
  deliveredBodies(): unknown[];
  /**
   * Files customers sent, as Botpress's file storage serves them (GET <url>/files/<name>); add one and use fileUrl(name).
   * `fault` plays a storage in trouble: a status instead of the file, or the transfer cut off halfway.
   */
  readonly hostedFiles: Map<string, HostedFile>;
  fileUrl(name: string): string;
}

export interface HostedFile {
  readonly content: Buffer;
  readonly contentType: string;
  fault?: number | 'cut-short' | undefined;
}

/** Stands in for the Botpress Webhook integration's URL on loopback. */
export async function startBotpressStandIn(): Promise<BotpressStandIn> {
  const delivered: RecordedRequest[] = [];
  const received: RecordedRequest[] = [];
  const state: {
    status: number;
    delayMs: number;
    beforeAnswer: (() => Promise<void>) | undefined;
    retryAfterSeconds: number | undefined;
    statusFor: BotpressStandIn['statusFor'];
  } = { status: 200, delayMs: 0, beforeAnswer: undefined, retryAfterSeconds: undefined, statusFor: undefined };
  const hostedFiles = new Map<string, HostedFile>();
  const server = await startHttpStandIn(async (request, res) => {
    if (request.method === 'GET' && request.path.startsWith('/files/')) {
      const file = hostedFiles.get(decodeURIComponent(request.path.slice('/files/'.length)));
      if (!file) return sendJson(res, 404, { code: 404, type: 'ResourceNotFound', message: 'File not found' });
      if (typeof file.fault === 'number') return sendJson(res, file.fault, { code: file.fault, type: 'Internal', message: 'An internal error occurred' });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.content.length });
      if (file.fault === 'cut-short') return void res.write(file.content.subarray(0, file.content.length >> 1), () => res.destroy());
      return void res.end(file.content);
    }
    received.push(request);
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    await state.beforeAnswer?.();
    const status = state.statusFor?.(JSON.parse(request.rawBody || '{}') as { conversationId?: string }) ?? state.status;
    if (status >= 200 && status < 300) delivered.push(request);
    if ((status === 429 || status === 503) && state.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(state.retryAfterSeconds));
    sendJson(res, status, status < 300 ? { ok: true } : { error: status === 429 ? 'rate_limited' : 'unavailable' });
  });
  return {
    ...server,
    delivered,
    received,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    get retryAfterSeconds() {
      return state.retryAfterSeconds;
    },
    set retryAfterSeconds(value: number | undefined) {
      state.retryAfterSeconds = value;
    },
    get statusFor() {
      return state.statusFor;
    },
    set statusFor(value: BotpressStandIn['statusFor']) {
      state.statusFor = value;
    },
    get beforeAnswer() {
      return state.beforeAnswer;
    },
    set beforeAnswer(value: (() => Promise<void>) | undefined) {
      state.beforeAnswer = value;
    },
    deliveredBodies: () => delivered.map((request) => JSON.parse(request.rawBody) as unknown),
    hostedFiles,
    fileUrl: (name) => `${server.url}/files/${encodeURIComponent(name)}`,
  };
}

import { sendJson, startHttpStandIn, type RecordedRequest, type StandIn } from './http-stand-in';

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
  deliveredBodies(): unknown[];
}

/** Stands in for the Botpress Webhook integration's URL on loopback. */
export async function startBotpressStandIn(): Promise<BotpressStandIn> {
  const delivered: RecordedRequest[] = [];
  const received: RecordedRequest[] = [];
  const state: { status: number; delayMs: number; beforeAnswer: (() => Promise<void>) | undefined } = { status: 200, delayMs: 0, beforeAnswer: undefined };
  const server = await startHttpStandIn(async (request, res) => {
    received.push(request);
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    await state.beforeAnswer?.();
    if (state.status >= 200 && state.status < 300) delivered.push(request);
    sendJson(res, state.status, state.status < 300 ? { ok: true } : { error: 'unavailable' });
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
    get beforeAnswer() {
      return state.beforeAnswer;
    },
    set beforeAnswer(value: (() => Promise<void>) | undefined) {
      state.beforeAnswer = value;
    },
    deliveredBodies: () => delivered.map((request) => JSON.parse(request.rawBody) as unknown),
  };
}

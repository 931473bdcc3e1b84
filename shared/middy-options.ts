/**
 * Both functions' middy options. middy's early-timeout race arms a timer on
 * every invocation (about 1.5 µs, a sixth of an ignored Slack echo's cost) to
 * turn a Lambda timeout into an error response 5 ms sooner. It buys the bridge
 * nothing: API Gateway answers a timed-out invocation with a 5xx, which Slack
 * and Botpress retry, and every delivery claim outlives the function's timeout.
 */
export const MIDDY_OPTIONS = { timeoutEarlyInMillis: 0 };

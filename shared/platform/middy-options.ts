/**
 * Both functions' middy options. middy's early-timeout race arms a timer on
 * every invocation (about 1.5 µs, a tenth of an ignored Slack echo's cost) to
 * turn a Lambda timeout into an error response 5 ms sooner. It buys the bridge
 * nothing: API Gateway answers a timed-out invocation with a 5xx, which Slack
 * and Botpress retry, and every claim's lease (15 s) outlives the functions' timeouts.
 */
export const MIDDY_OPTIONS = { timeoutEarlyInMillis: 0 };

/**
 * Both functions' middy options. middy's early-timeout race arms a timer on
 * every invocation to turn a Lambda timeout into an error response sooner. It
 * buys the bridge nothing: API Gateway answers a timed-out invocation with a
 * 5xx, which Slack and Botpress retry, and every claim's lease outlives the
 * functions' timeouts.
 */
export const MIDDY_OPTIONS = { timeoutEarlyInMillis: 0 };

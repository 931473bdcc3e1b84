/**
 * DynamoDB and Secrets Manager answer in milliseconds. Without a timeout, a
 * call that hangs (a connection lost mid-request) would hold the invocation
 * until the Lambda timeout, and the sender would get a bare 5xx with nothing
 * logged but that; with one per attempt, the SDK retries the call and a
 * lasting failure becomes a DownstreamError: logged, counted, and a 503 the
 * sender retries.
 */
export const AWS_ATTEMPT_TIMEOUT_MS = 1_000;

/** An AWS SDK client's `requestHandler` option that gives up on each attempt, connecting or awaiting the answer, after timeoutMs. */
export function boundedAttempts(timeoutMs = AWS_ATTEMPT_TIMEOUT_MS) {
  return { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true };
}

/**
 * An AWS SDK client's configuration for a local AWS-API server (dynalite, the
 * embedded SQS and S3): its endpoint, a region, and credentials, which such a
 * server ignores (or, as the embedded S3 does, checks against its own) but
 * the SDK insists on having. Nothing at all for AWS itself.
 */
export function localEndpoint(endpoint: string | undefined, credentials: { accessKeyId: string; secretAccessKey: string } = { accessKeyId: 'local', secretAccessKey: 'local' }) {
  return endpoint ? { endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials } : {};
}

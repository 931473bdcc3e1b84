import { afterEach, describe, expect, it, vi } from 'vitest';
import { secretsManagerReader } from '../../../shared/aws/secrets';
import { startHttpStandIn, type RecordedRequest, type StandIn } from '../../../local/http-stand-in';
import { startSecretsManagerStandIn } from '../../support/secrets-manager-stand-in';

const SECRET_JSON = JSON.stringify({ slackBotToken: 'xoxb-1', bridgeApiToken: 'bridge' });

describe('secretsManagerReader', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bridge-AbCdEf';
  afterEach(() => vi.unstubAllEnvs());

  /** Points the SDK at a server on loopback, as a deployment's settings point it at Secrets Manager. */
  function reachSecretsManagerAt(server: StandIn): void {
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', server.url);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDCONFIGTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'config-test-secret-key');
  }

  it('reads the secret string with GetSecretValue, over one client and connection for every read', async () => {
    const stand = await startSecretsManagerStandIn({ [SECRET_ARN]: SECRET_JSON });
    reachSecretsManagerAt(stand);
    try {
      const read = secretsManagerReader();
      expect(await read(SECRET_ARN)).toBe(SECRET_JSON);
      expect(await read(SECRET_ARN)).toBe(SECRET_JSON);
      expect(stand.requests.map((request) => [request.headers['x-amz-target'], JSON.parse(request.rawBody) as unknown])).toEqual([
        ['secretsmanager.GetSecretValue', { SecretId: SECRET_ARN }],
        ['secretsmanager.GetSecretValue', { SecretId: SECRET_ARN }],
      ]);
      expect(stand.requests[1]!.clientPort).toBe(stand.requests[0]!.clientPort);
    } finally {
      await stand.close();
    }
  });

  it('gives up on a Secrets Manager that does not answer, after a bounded wait per attempt', async () => {
    const requests: RecordedRequest[] = [];
    const stand = await startHttpStandIn((request) => void requests.push(request));
    reachSecretsManagerAt(stand);
    try {
      const error = (await secretsManagerReader({ requestTimeoutMs: 100 })(SECRET_ARN).catch((e: unknown) => e)) as Error;
      expect(error.name).toBe('TimeoutError');
      // The SDK's standard retries: three attempts, each cut off.
      expect(requests).toHaveLength(3);
    } finally {
      await stand.close();
    }
  });
});

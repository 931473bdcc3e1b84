import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStringReader } from '../platform/config';
import { boundedAttempts } from './attempts';

/**
 * GetSecretValue through one client per container, made on first use (local
 * runs never need it). Each attempt is bounded (./attempts); the SDK makes
 * up to 3, so a read that hangs is a logged 503, not a Lambda timeout.
 *
 * The client is imported statically although local runs never use it: every
 * container in AWS reads the secret on its first request, and an `import()`
 * made esbuild wrap it, with every SDK module it shares with the DynamoDB
 * client, in lazy initialisers that V8 compiles twice at each cold start.
 */
export function secretsManagerReader(options: { readonly requestTimeoutMs?: number; readonly instrument?: <Client>(client: Client) => Client } = {}): SecretStringReader {
  let client: SecretsManagerClient | undefined;
  const instrument = options.instrument ?? ((plain) => plain);
  return async (secretId) => {
    client ??= instrument(new SecretsManagerClient({ requestHandler: boundedAttempts(options.requestTimeoutMs) }));
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  };
}

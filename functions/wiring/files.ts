import { s3FileStore } from '../../shared/aws/s3-files';
import type { DeliveryFiles } from '../../shared/domain/files/agent-files';
import { fileLinkKey } from '../../shared/domain/files/links';
import { secretsManagerReader } from '../../shared/aws/secrets';
import { secretFrom, type SecretsProvider, type SecretStringReader, type Settings, type SettingsWith } from '../../shared/platform/config';
import { callDownstream, ConfigError } from '../../shared/platform/errors';
import { SETTINGS } from '../../shared/platform/settings';

/**
 * What the delivery function needs for files: the bucket, and the link key
 * (linkKeyOf). The Botpress webhook's origin is the one fetched over plain
 * HTTP or on a private address: HTTPS and public but for a local stand-in.
 */
export function deliveryFiles(settings: SettingsWith<'fileBucket' | 'publicUrl'>, secrets: SecretsProvider): DeliveryFiles {
  return {
    store: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
    linkKey: linkKeyOf(settings, secrets),
    publicUrl: settings.publicUrl,
    linkSeconds: settings.fileLinkSeconds,
    botOrigin: async () => new URL(await secretFrom(secrets, 'botpressWebhookUrl')).origin,
  };
}

/**
 * The key that signs and checks links to agents' files: in AWS from the
 * secret the stack generated for it alone, read once per container when the
 * first link is made or opened (it never changes), so that rotating the
 * bridge API token or any other secret ends no link; locally from the bridge
 * API token.
 */
export function linkKeyOf(settings: Pick<Settings, 'fileLinkSecretId'>, secrets: SecretsProvider, readSecret: SecretStringReader = secretsManagerReader()): () => Promise<Buffer> {
  const secretId = settings.fileLinkSecretId;
  if (!secretId) return async () => fileLinkKey(await secretFrom(secrets, 'bridgeApiToken'));
  let key: Promise<Buffer> | undefined;
  return () =>
    (key ??= callDownstream('secrets-manager', 'read the file link key', () => readSecret(secretId)).then((value) => {
      if (!value) throw new ConfigError(`the secret ${SETTINGS.fileLinkSecretId.env} names has no value`, [SETTINGS.fileLinkSecretId.env]);
      return fileLinkKey(value);
    })).catch((error: unknown) => {
      // Read again at the next link rather than fail every one.
      key = undefined;
      throw error;
    });
}

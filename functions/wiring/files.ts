import { s3FileStore } from '../../shared/aws/s3-files';
import type { DeliveryFiles } from '../../shared/domain/files/agent-files';
import { fileLinkKey } from '../../shared/domain/files/links';
import { secretFrom, type SecretsProvider, type SettingsWith } from '../../shared/platform/config';

/**
 * What the delivery function needs for files: the bucket, and the link key,
 * derived from the bridge API token (so the delivery function reads that
 * secret too). The Botpress webhook's origin is the one fetched over plain
 * HTTP or on a private address: HTTPS and public but for a local stand-in.
 */
export function deliveryFiles(settings: SettingsWith<'fileBucket' | 'publicUrl'>, secrets: SecretsProvider): DeliveryFiles {
  return {
    store: s3FileStore({ bucket: settings.fileBucket, endpoint: settings.s3Endpoint }),
    linkKey: async () => fileLinkKey(await secretFrom(secrets, 'bridgeApiToken')),
    publicUrl: settings.publicUrl,
    linkSeconds: settings.fileLinkSeconds,
    botOrigin: async () => new URL(await secretFrom(secrets, 'botpressWebhookUrl')).origin,
  };
}

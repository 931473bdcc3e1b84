import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { linkKeyOf } from '../../functions/wiring/files';
import { secretsManagerReader } from '../../shared/aws/secrets';
import { checkFileLink, fileLink, fileLinkKey } from '../../shared/domain/files/links';
import type { BridgeSecrets } from '../../shared/platform/config';
import { DownstreamError } from '../../shared/platform/errors';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';

/* The key that signs links to agents' files is a secret of its own in AWS: rotating the bridge API token ends no link. */
const LINK_KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:FileLinkKey-abc';
let secretsManager: SecretsManagerStandIn;

beforeAll(async () => {
  secretsManager = await startSecretsManagerStandIn({ [LINK_KEY_ARN]: 'generated-by-the-stack-0123456789' });
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secretsManager.url);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await secretsManager.close();
});

/** The bridge's secrets with this bridge API token: before and after a rotation. */
const withToken = (bridgeApiToken: string) => () => Promise.resolve({ bridgeApiToken } as BridgeSecrets);
const FILE = { fileId: 'F0123', name: 'invoice.pdf' };
const path = `/files/${FILE.fileId}/${FILE.name}`;

describe('the file link key', () => {
  it('signs a link that still opens after the bridge API token is rotated, read from its secret once per container', async () => {
    const before = linkKeyOf({ fileLinkSecretId: LINK_KEY_ARN }, withToken('token-before'), secretsManagerReader());
    const after = linkKeyOf({ fileLinkSecretId: LINK_KEY_ARN }, withToken('token-after'), secretsManagerReader());
    const requests = secretsManager.requests.length;
    const link = new URL(fileLink('https://bridge.example', FILE, 2_000_000_000, await before()));
    await before();
    expect(secretsManager.requests.length - requests).toBe(1);
    expect(checkFileLink(path, Object.fromEntries(link.searchParams), await after(), 1_900_000_000)).toMatchObject({ ok: true });
    expect(await after()).toEqual(fileLinkKey('generated-by-the-stack-0123456789'));
  });

  it('locally, without a secret of its own, derives from the bridge API token: a rotation there ends the links', async () => {
    const link = new URL(fileLink('https://bridge.example', FILE, 2_000_000_000, await linkKeyOf({ fileLinkSecretId: undefined }, withToken('token-before'))()));
    const check = checkFileLink(path, Object.fromEntries(link.searchParams), await linkKeyOf({ fileLinkSecretId: undefined }, withToken('token-after'))(), 1_900_000_000);
    expect(check).not.toMatchObject({ ok: true });
  });

  it('fails a link for want of its secret as a downstream failure, and reads it again at the next', async () => {
    const missing = linkKeyOf({ fileLinkSecretId: `${LINK_KEY_ARN}-gone` }, withToken('token'), secretsManagerReader());
    const requests = secretsManager.requests.length;
    await expect(missing()).rejects.toBeInstanceOf(DownstreamError);
    await expect(missing()).rejects.toBeInstanceOf(DownstreamError);
    expect(secretsManager.requests.length - requests).toBe(2);
  });
});

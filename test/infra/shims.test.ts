import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../infra/shims/aws-credentials';
import { EventStreamSerde, eventStreamSerdeProvider } from '../../infra/shims/smithy-event-streams';
import { ReadableStream } from '../../infra/shims/stream-web';
import { sendJson, startHttpStandIn, type RecordedRequest } from '../../local/http-stand-in';

describe('the node:stream/web shim', () => {
  it('answers instanceof exactly as the real ReadableStream does, for what middy tests with it', () => {
    expect(new NodeReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.toWeb(Readable.from(['x'])) instanceof ReadableStream).toBe(true);
    for (const other of [Readable.from(['x']), 'a body', { statusCode: 200 }, null, undefined]) {
      expect(other instanceof ReadableStream).toBe(false);
    }
  });
});

describe('the @smithy/core/event-streams shim', () => {
  it('fails loudly, saying how to get the real module back, should an operation ever stream events', () => {
    const notBundled = { name: 'EventStreamsNotBundled', message: expect.stringContaining('remove its alias in infra/bundling.ts') as unknown };
    expect(() => new EventStreamSerde()).toThrow(expect.objectContaining(notBundled));
    expect(() => eventStreamSerdeProvider()).toThrow(expect.objectContaining(notBundled));
  });
});

describe('the AWS credentials shim', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the credentials Lambda puts in the environment, once', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIASHIMTEST1');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'shim-secret-1');
    vi.stubEnv('AWS_SESSION_TOKEN', 'shim-session-1');
    const provider = defaultProvider();
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIASHIMTEST1', secretAccessKey: 'shim-secret-1', sessionToken: 'shim-session-1' });
    // Lambda's credentials last as long as the execution environment: no reason to read them per request.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIASHIMTEST2');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIASHIMTEST1' });
  });

  it('takes them from the container endpoint when the environment has none, as some Lambda features deliver them', async () => {
    const requests: RecordedRequest[] = [];
    const endpoint = await startHttpStandIn((request, res) => {
      requests.push(request);
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      sendJson(res, 200, { AccessKeyId: 'ASIACONTAINER1', SecretAccessKey: 'container-secret', Token: 'container-session', Expiration: expiration });
    });
    try {
      vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', `${endpoint.url}/credentials`);
      vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'container-auth-token');
      const provider = defaultProvider();
      await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIACONTAINER1', secretAccessKey: 'container-secret', sessionToken: 'container-session' });
      await provider();
      // Asked once: they last an hour, and are fetched again only near the end of it.
      expect(requests.map((request) => [request.path, request.headers.authorization])).toEqual([['/credentials', 'container-auth-token']]);
    } finally {
      await endpoint.close();
    }
  });

  it('fails, naming the environment, when there are none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError', message: 'Unable to find environment variable credentials.' });
  });
});

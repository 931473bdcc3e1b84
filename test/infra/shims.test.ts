import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../infra/shims/aws-credentials';
import { ReadableStream } from '../../infra/shims/stream-web';

describe('the node:stream/web shim', () => {
  it('answers instanceof exactly as the real ReadableStream does, for what middy tests with it', () => {
    expect(new NodeReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.toWeb(Readable.from(['x'])) instanceof ReadableStream).toBe(true);
    for (const other of [Readable.from(['x']), 'a body', { statusCode: 200 }, null, undefined]) {
      expect(other instanceof ReadableStream).toBe(false);
    }
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

  it('fails, naming the environment, when there are none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError', message: 'Unable to find environment variable credentials.' });
  });
});

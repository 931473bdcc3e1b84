import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
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

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile, MAX_REDIRECTS } from '../../../shared/platform/file-transfers';
import { PermanentDownstreamError } from '../../../shared/platform/errors';

/* A file host on loopback that redirects /hop/N to /hop/N-1 and serves /hop/0, recording the authorization each hop got. */
let server: Server;
let origin: string;
const seen: { path: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
    const hop = Number(/^\/hop\/(\d+)$/.exec(request.url ?? '')?.[1] ?? -1);
    if (hop > 0) return void response.writeHead(302, { location: `/hop/${hop - 1}` }).end();
    response.writeHead(hop === 0 ? 200 : 404, { 'content-type': 'text/plain' }).end('the file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('downloadFile', () => {
  const follow = { configuredService: true, headers: { authorization: 'Bearer t' } } as const;

  it(`follows up to ${MAX_REDIRECTS} redirects where the caller says so, with the headers it gives for each hop`, async () => {
    seen.length = 0;
    const file = await downloadFile(`${origin}/hop/${MAX_REDIRECTS}`, 'slack', 100, { ...follow, followRedirect: () => follow });
    expect(file.body.toString()).toBe('the file');
    expect(seen.map((request) => request.authorization)).toEqual(Array.from({ length: MAX_REDIRECTS + 1 }, () => 'Bearer t'));
  });

  it('refuses one redirect more, a redirect the caller does not follow, and any redirect when it was not asked to follow', async () => {
    await expect(downloadFile(`${origin}/hop/${MAX_REDIRECTS + 1}`, 'slack', 100, { ...follow, followRedirect: () => follow })).rejects.toMatchObject({ code: 'redirect_refused' });
    await expect(downloadFile(`${origin}/hop/1`, 'slack', 100, { ...follow, followRedirect: () => undefined })).rejects.toMatchObject({ code: 'redirect_refused' });
    await expect(downloadFile(`${origin}/hop/1`, 'slack', 100, follow)).rejects.toBeInstanceOf(PermanentDownstreamError);
  });
});

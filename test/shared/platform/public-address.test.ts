import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { isPublicAddress, PrivateAddressRefused, publicOnlyLookup, refusedLiteral, type ResolveAll } from '../../../shared/platform/public-address';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback, anywhere in 127/8'],
    ['10.1.2.3', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['169.254.169.254', 'the instance metadata address (link-local)'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified: connects to this host'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fd00:ec2::254', "the instance metadata address over IPv6 (unique-local)"],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'IPv6 link-local'],
    ['::ffff:127.0.0.1', 'loopback mapped into IPv6'],
    ['::ffff:10.0.0.1', 'RFC 1918 mapped into IPv6'],
    ['[::1]', 'loopback as a URL writes it'],
    ['2002:7f00:1::', '6to4, which carries an IPv4 address (here 127.0.0.1)'],
    ['64:ff9b::a00:1', 'NAT64, which carries an IPv4 address (here 10.0.0.1)'],
    ['not an address', 'not an address at all'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '52.94.236.248', '2600:1f18::1', '::ffff:8.8.8.8', '[2a00:1450:4001::200e]'])('takes %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('refusedLiteral', () => {
  it('refuses a URL whose host is a private address in any spelling a URL normalises', () => {
    for (const url of ['https://127.0.0.1/x', 'https://2130706433/x', 'https://0x7f.1/x', 'https://[::1]:8443/x', 'https://[::ffff:7f00:1]/x', 'https://169.254.169.254/latest/meta-data']) {
      expect(refusedLiteral(new URL(url)), url).toBeInstanceOf(PrivateAddressRefused);
    }
  });

  it('leaves names to the lookup, and takes public addresses', () => {
    expect(refusedLiteral(new URL('https://localhost/x'))).toBeUndefined();
    expect(refusedLiteral(new URL('https://files.bpcontent.cloud/x'))).toBeUndefined();
    expect(refusedLiteral(new URL('https://8.8.8.8/x'))).toBeUndefined();
  });
});

describe('publicOnlyLookup', () => {
  const resolving =
    (addresses: LookupAddress[]): ResolveAll =>
    (_hostname, _options, callback) =>
      callback(null, addresses);
  const lookUp = (resolveAll: ResolveAll, all: boolean) =>
    new Promise<{ error: Error | null; address: unknown; family: unknown }>((resolve) =>
      (publicOnlyLookup(resolveAll) as (host: string, options: object, callback: (error: Error | null, address: unknown, family?: unknown) => void) => void)('files.example', { all }, (error, address, family) =>
        resolve({ error, address, family }),
      ),
    );

  it('answers with the addresses when every one is public, in the shape asked for', async () => {
    const addresses = [
      { address: '2600:1f18::1', family: 6 },
      { address: '8.8.8.8', family: 4 },
    ];
    expect(await lookUp(resolving(addresses), true)).toEqual({ error: null, address: addresses, family: undefined });
    expect(await lookUp(resolving(addresses), false)).toEqual({ error: null, address: '2600:1f18::1', family: 6 });
  });

  it('fails when any address is private: a name cannot hide one behind a public one', async () => {
    const { error } = await lookUp(
      resolving([
        { address: '8.8.8.8', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ]),
      false,
    );
    expect(error).toBeInstanceOf(PrivateAddressRefused);
    expect((await lookUp(resolving([]), true)).error).toBeInstanceOf(PrivateAddressRefused);
  });

  it("passes DNS's own failure on", async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    const { error } = await lookUp((_hostname, _options, callback) => callback(notFound, []), true);
    expect(error).toBe(notFound);
  });
});

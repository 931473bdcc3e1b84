import type { Agent } from 'node:http';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

const dns = process.getBuiltinModule('node:dns');
const net = process.getBuiltinModule('node:net');
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/*
 * Files are fetched from URLs a customer's message carries: such a URL must
 * not reach the bridge's own network (loopback, private ranges, the instance
 * metadata address). The address is checked where the connection is made, on
 * what DNS answered then, so a name cannot pass the check and be rebound.
 */

/** A host whose address is not a public one; the fetch was not made. */
export class PrivateAddressRefused extends Error {
  override readonly name = 'PrivateAddressRefused';
  constructor(readonly host: string) {
    super(`${host} is, or resolves to, an address that is not public`);
  }
}

/**
 * Ordinary public unicast only: ipaddr.js names every other range (loopback,
 * private, unique-local, link-local, carrier-grade NAT, multicast, reserved,
 * and IPv4 carried in IPv6 such as 6to4 or NAT64), and an IPv4-mapped IPv6
 * address is judged as the IPv4 address it maps.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

/** A host given as an address is connected to without a lookup: checked here instead. */
export function refusedLiteral(url: URL): PrivateAddressRefused | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (net.isIP(host) === 0) return undefined;
  return isPublicAddress(host) ? undefined : new PrivateAddressRefused(url.hostname);
}

/** Every address a name has, as dns.lookup with `all: true` answers. */
export type ResolveAll = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A connection's lookup that fails unless every address the name has is
 * public (any one of them could be the one connected to). It answers in both
 * of dns.lookup's shapes: net asks for all addresses when it tries IPv6 and
 * IPv4 side by side (autoSelectFamily), for one otherwise.
 */
export function publicOnlyLookup(resolveAll: ResolveAll = dns.lookup): LookupFunction {
  return (hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolveAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const first = addresses[0];
      if (!first || addresses.some((entry) => !isPublicAddress(entry.address))) return callback(new PrivateAddressRefused(hostname), '');
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

let agents: { readonly 'http:': Agent; readonly 'https:': Agent } | undefined;

/**
 * Connections for fetches to public addresses only: agents of their own, so
 * that no connection opened without the check (to a configured service) is
 * reused for them. Kept alive as Node's global agents are.
 */
export function publicOnlyAgent(protocol: string): Agent {
  agents ??= {
    'http:': new http.Agent({ keepAlive: true, timeout: 5_000, lookup: publicOnlyLookup() }),
    'https:': new https.Agent({ keepAlive: true, timeout: 5_000, lookup: publicOnlyLookup() }),
  };
  return protocol === 'https:' ? agents['https:'] : agents['http:'];
}

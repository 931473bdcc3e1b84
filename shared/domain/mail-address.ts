import { isIPv6 } from 'node:net';
import isEmail from 'validator/lib/isEmail';

const OPTIONS = { allow_utf8_local_part: true, allow_ip_domain: true, require_tld: true, allow_display_name: false } as const;

/**
 * Whether a mail server would take this address: quoted local parts, `+`
 * tags, internationalised and punycode domains, IP literals, within RFC
 * 5321's lengths (64 for the local part, 254 in all). validator.js's isEmail,
 * which knows all of it but IPv6 literals (`[IPv6:…]`), checked here beside it.
 */
export function isMailAddress(address: string): boolean {
  const ipv6 = /^(.+)@\[IPv6:([^\]]+)\]$/i.exec(address);
  if (ipv6) return address.length <= 254 && isIPv6(ipv6[2]!) && isEmail(`${ipv6[1]!}@example.com`, OPTIONS);
  return isEmail(address, OPTIONS);
}

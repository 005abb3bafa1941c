import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard (accounts.md, webhooks.md): a host a client names must resolve to public
 * addresses only (no loopback, RFC 1918, link-local and metadata, CGNAT, unique-local, multicast
 * or reserved ranges), and the connection then goes to the address that was checked, so that a
 * second DNS answer cannot point it elsewhere.
 */

export class UnsafeAddressError extends Error {
  override readonly name = 'UnsafeAddressError';
}

/** True for a unicast address on the public internet; IPv4-mapped IPv6 is judged as its IPv4. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves `host` (a name or an IP literal, IPv6 with or without brackets) and returns the
 * first address, after checking that every address it resolves to is public unless
 * `allowPrivate`. Throws UnsafeAddressError naming the host, never an internal address it found.
 */
export async function resolvePublicAddress(host: string, options: { allowPrivate: boolean }): Promise<CheckedAddress> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: { address: string; family: number }[];
  if (isIP(bare) !== 0) {
    addresses = [{ address: bare, family: isIP(bare) }];
  } else {
    try {
      addresses = await lookup(bare, { all: true, verbatim: true });
    } catch {
      throw new UnsafeAddressError(`${host} does not resolve`);
    }
  }
  const first = addresses[0];
  if (first === undefined) throw new UnsafeAddressError(`${host} does not resolve`);
  if (!options.allowPrivate && !addresses.every((entry) => isPublicAddress(entry.address))) {
    throw new UnsafeAddressError(`${host} is not a public address`);
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * `resolvePublicAddress` for a host and port a client names (an identity's SMTP server): the
 * port must be one of `ports` and the host public, unless `allowPrivate` (which lifts both, for
 * tests and private networks whose servers listen where they like).
 */
export async function resolvePublicEndpoint(
  host: string,
  port: number,
  options: { readonly ports: readonly number[]; readonly allowPrivate: boolean },
): Promise<CheckedAddress> {
  if (!options.allowPrivate && !options.ports.includes(port)) throw new UnsafeAddressError(`port ${port} is not one of ${options.ports.join(', ')}`);
  return resolvePublicAddress(host, { allowPrivate: options.allowPrivate });
}

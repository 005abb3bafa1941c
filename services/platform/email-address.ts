import { domainToASCII } from 'node:url';

// RFC 5321 limits: local part 64 octets, a domain label 63, the whole path 254 usable octets.
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
const MAX_LABEL_OCTETS = 63;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export type AddressCheck = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks a mailbox address against RFC 5321 limits and returns it in the form
 * we send to: the local part as given, the domain lower-cased and in punycode.
 */
export function checkEmailAddress(input: string): AddressCheck {
  if (/[\r\n\0]/.test(input)) return { ok: false, reason: 'must not contain line breaks or NUL' };
  const at = input.lastIndexOf('@');
  if (at <= 0 || at === input.length - 1) return { ok: false, reason: 'must look like name@example.com' };
  const local = input.slice(0, at);
  const domain = input.slice(at + 1);
  if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS) return { ok: false, reason: `local part exceeds ${MAX_LOCAL_OCTETS} octets` };
  if (!DOT_ATOM.test(local)) return { ok: false, reason: 'local part has characters not allowed in an address' };
  const asciiDomain = domainToASCII(domain.toLowerCase());
  if (asciiDomain === '') return { ok: false, reason: 'domain is not a valid host name' };
  const labels = asciiDomain.split('.');
  if (labels.length < 2) return { ok: false, reason: 'domain must have at least two labels' };
  // No top-level domain is numeric: this is an IPv4 address (WHATWG even turns 127.1 into one), which RFC 5321 allows only in brackets.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return { ok: false, reason: 'domain must be a host name, not an IP address' };
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_OCTETS || !LABEL.test(label)) {
      return { ok: false, reason: 'domain is not a valid host name' };
    }
  }
  const address = `${local}@${asciiDomain}`;
  if (Buffer.byteLength(address) > MAX_ADDRESS_OCTETS) return { ok: false, reason: `address exceeds ${MAX_ADDRESS_OCTETS} octets` };
  return { ok: true, address };
}

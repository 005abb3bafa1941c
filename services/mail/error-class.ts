import { ProviderError } from './providers/mail-provider';

// Error codes from Node's sockets and DNS, and nodemailer's own; nothing else from a message is trusted.
const KNOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNECTION',
  'ESOCKET',
  'EAUTH',
  'EENVELOPE',
  'EMESSAGE',
  'EDNS',
  'EPROTOCOL',
  'ETLS',
  'EACCES',
  'ENOSPC',
]);

/**
 * A short, address-free class for a failed send, for logs, metrics and the live tail:
 * the failure kind and the provider's status (`permanent:550`, `misconfigured:401`) or the
 * network error code (`transient:ECONNREFUSED`). Free text never gets in, since provider answers
 * may quote the recipient.
 */
export function errorClassOf(err: unknown): string {
  if (!(err instanceof ProviderError)) return 'unexpected';
  if (err.statusCode !== undefined) return `${err.kind}:${err.statusCode}`;
  const code = err.message.match(/\bE[A-Z_]{2,}\b/g)?.find((word) => KNOWN_CODES.has(word));
  return code === undefined ? err.kind : `${err.kind}:${code}`;
}

/** The class of a try skipped because the provider's circuit was open. */
export const CIRCUIT_OPEN_CLASS = 'circuit-open';

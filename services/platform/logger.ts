import pino, { type Logger } from 'pino';
import { logContext } from './log-context';
import { redactDatabaseErrors } from './redact-database-errors';

export type { Logger } from 'pino';

/** Paths never written to the logs, whatever a caller passes in. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'body',
  '*.body',
  'text',
  'html',
  'message_body',
];

// An address as it appears anywhere in a log line: local part, @, a dotted domain.
const ADDRESS = /([\p{L}\p{N}!#$%&'*+/=?^_`{|}~-])[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]*@((?:[\p{L}\p{N}-]+\.)+[\p{L}\p{N}-]{2,})/gu;

/** Masks every address in a finished log line, whatever field or error message it came from. */
export function maskAddresses(line: string): string {
  return line.replace(ADDRESS, '$1***@$2');
}

/** pino's error serializer (which passes anything but an error through), after Postgres errors lost what can repeat data. */
function serializeError(value: unknown): unknown {
  return pino.stdSerializers.err(redactDatabaseErrors(value) as Error);
}

/**
 * Creates the process logger: JSON lines on stdout, tagged with the process role. Secrets and
 * bodies are redacted by path; addresses are masked in the written line, so none reaches the
 * logs in full even through an error message a provider wrote. Postgres errors are logged by
 * code, never with their message, `where` or `detail`, which can hold a request's data.
 */
export function createLogger(options: { level: string; role: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { role: options.role },
      // The id of the request in progress, on every line written while serving it. A copy: pino
      // merges each line's fields into what the mixin returns, which would carry them to every later line.
      mixin: () => ({ ...logContext() }),
      // `error` too: an error logged under it would otherwise be written field by field.
      serializers: { err: serializeError, error: serializeError },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: maskAddresses },
    },
    destination,
  );
}

/** Masks an address for logs: `jane@example.com` becomes `j***@example.com`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0] ?? ''}***${address.slice(at)}`;
}

import pino, { type Logger } from 'pino';

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

/** Creates the process logger: JSON lines on stdout, tagged with the process role. */
export function createLogger(options: { level: string; role: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { role: options.role },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
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

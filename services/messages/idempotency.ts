import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE } from '../domain/identifiers';
import { validationFailed } from '../platform/errors';

/** The request's Idempotency-Key (1–255 printable ASCII), or a fresh UUID when none was sent. */
export function idempotencyKeyOf(req: Request): string {
  const key = req.header('idempotency-key');
  if (key === undefined) return randomUUID();
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw validationFailed([{ field: 'header.Idempotency-Key', message: IDEMPOTENCY_KEY_RULE }]);
  }
  return key;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** SHA-256 of the validated request, independent of key order and whitespace. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { idempotencyMismatch, validationFailed } from '../platform/errors';

const KEY = /^[\x20-\x7e]{1,255}$/;

/** The request's Idempotency-Key (1–255 printable ASCII), or a fresh UUID when none was sent. */
export function idempotencyKeyOf(req: Request): string {
  const key = req.header('idempotency-key');
  if (key === undefined) return randomUUID();
  if (!KEY.test(key)) {
    throw validationFailed([{ field: 'header.Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
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

export interface Acceptance<Row> {
  readonly row: Row;
  readonly replayed: boolean;
}

/**
 * Inserts once per idempotency key: `insert` is an INSERT … ON CONFLICT DO NOTHING
 * RETURNING; when it returns nothing the key was used before and the stored row
 * answers, provided it was made from the same request.
 */
export async function acceptOnce<Row extends { request_hash: string }>(
  hash: string,
  insert: () => Promise<Row | undefined>,
  findExisting: () => Promise<Row | undefined>,
): Promise<Acceptance<Row>> {
  const inserted = await insert();
  if (inserted !== undefined) return { row: inserted, replayed: false };
  const existing = await findExisting();
  // ON CONFLICT waits for the conflicting insert to commit, so the row is visible here.
  if (existing === undefined) throw new Error('idempotency conflict without a stored row');
  if (existing.request_hash !== hash) throw idempotencyMismatch();
  return { row: existing, replayed: true };
}

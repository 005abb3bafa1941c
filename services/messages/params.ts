import type { Request } from 'express';
import { UUID_PATTERN } from '../domain/identifiers';
import { notFound } from '../platform/errors';

/** The `:id` route parameter; anything that is not a UUID cannot name a message, so 404. */
export function uuidParam(req: Request, what = 'message'): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw notFound(`No ${what} with this id.`);
  return id.toLowerCase();
}

import type { Request } from 'express';
import { notFound } from '../platform/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `:id` route parameter; anything that is not a UUID cannot name a message, so 404. */
export function uuidParam(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !UUID.test(id)) throw notFound('No message with this id.');
  return id.toLowerCase();
}

import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../domain/event-types';

const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)])
  .describe('The event types to receive; empty or absent for all.');
const url = z.string().max(2048).describe('Where events are POSTed: https, a public address.');
const description = z.string().max(500);

export const createEndpointSchema = z.strictObject({ url, event_types: eventTypes.optional(), description: description.optional() });

export const updateEndpointSchema = z.strictObject({
  url: url.optional(),
  event_types: eventTypes.optional(),
  description: description.optional(),
  enabled: z.boolean().optional(),
  rotate_secret: z.boolean().optional().describe('A new secret, answered once; the old one keeps signing for 24 h.'),
});

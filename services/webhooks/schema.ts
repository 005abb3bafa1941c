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

/** An endpoint as answered; the secret only in the answers that create or rotate it. */
export const endpointViewSchema = z.object({
  id: z.string().uuid(),
  url: z.string(),
  description: z.string(),
  event_types: z.array(z.string()),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  previous_secret_expires_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  secret: z.string().optional().describe('whsec_…: shown once, when created or rotated'),
});

export const deliveryViewSchema = z.object({
  id: z.string().uuid(),
  event_id: z.string().describe('The webhook-id header'),
  type: z.string(),
  attempt: z.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']),
  response_code: z.number().int().nullable(),
  duration_ms: z.number().int().nullable(),
  error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
  attempts: z.array(
    z.object({ attempt: z.number().int(), response_code: z.number().int().nullable(), duration_ms: z.number().int(), error: z.string().nullable(), at: z.string() }),
  ),
});

export const testResultSchema = z.object({
  delivery_id: z.string().uuid(),
  ok: z.boolean(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
});

import { z } from 'zod';
import { storableJson, withinDepth } from '../platform/schema-helpers';

/** POST /api/events/track: a conversion on a message the caller may read. */
export const trackSchema = z.strictObject({
  message_id: z.uuid().transform((id) => id.toLowerCase()),
  type: z.literal('converted'),
  data: z
    .record(z.string().max(256), z.unknown())
    .default({})
    .refine((value) => withinDepth(value, 8), { message: 'must nest at most 8 levels deep', abort: true })
    .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= 4096, 'must be at most 4096 bytes as JSON')
    .superRefine(storableJson),
});
export type TrackRequest = z.infer<typeof trackSchema>;

export const trackResponseSchema = z.object({ message_id: z.uuid(), type: z.string(), at: z.string() });

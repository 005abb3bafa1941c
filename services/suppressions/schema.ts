import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../messages/pagination';
import { emailAddress } from '../platform/schema-helpers';
import { SUPPRESSION_REASONS } from './tables';

/** An address as suppressions keep it: lower-cased. */
export const suppressedAddress = emailAddress.transform((value) => value.toLowerCase());

/** POST /api/suppressions: add an address by hand (or record one from elsewhere with its reason). */
export const addSuppressionSchema = z.strictObject({
  address: suppressedAddress,
  reason: z
    .enum(SUPPRESSION_REASONS)
    .default('manual')
    .meta({ description: '`manual` (the default), `hard_bounce` and `complaint` stop every message to the address; `unsubscribed` stops marketing only. A hard bounce expires after BOUNCE_SUPPRESSION_DAYS.' }),
});
export type AddSuppressionRequest = z.infer<typeof addSuppressionSchema>;

export const suppressionListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  reason: z.enum(SUPPRESSION_REASONS).optional(),
  address: suppressedAddress.optional(),
});
export type SuppressionListQuery = z.infer<typeof suppressionListQuerySchema>;

export const suppressionViewSchema = z.object({
  address: z.string(),
  reason: z.enum(SUPPRESSION_REASONS),
  scope: z.enum(['client', 'global']).meta({ description: '`global`: an entry for every client (client_id null), removable by an admin only.' }),
  message_id: z.string().uuid().nullable().meta({ description: 'The message whose bounce, complaint or unsubscribe link made the entry.' }),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});
export type SuppressionView = z.infer<typeof suppressionViewSchema>;

export const suppressionPageSchema = z.object({
  count: z.number().int(),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  results: z.array(suppressionViewSchema),
});

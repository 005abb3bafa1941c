import { z } from 'zod';
import { emailAddress, headerText, storableJson, withinDepth } from '../platform/schema-helpers';

export const MAX_ATTRIBUTES_BYTES = 16 * 1024;
export const MAX_IMPORT_ROWS = 100_000;

/** A contact's address: normalised and lower-cased, so one person is one contact. */
export const contactEmail = emailAddress.transform((value) => value.toLowerCase());

export const contactAttributes = z
  .record(z.string().min(1).max(128), z.unknown())
  .refine((value) => withinDepth(value, 8), { message: 'must nest at most 8 levels deep', abort: true })
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_ATTRIBUTES_BYTES, `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON`)
  .superRefine(storableJson);

const name = headerText(0, 200).nullable();

/** POST /api/contacts, and one row of an import. */
export const createContactSchema = z.strictObject({
  email: contactEmail,
  first_name: name.optional(),
  last_name: name.optional(),
  attributes: contactAttributes.optional(),
  subscribed: z.boolean().optional(),
});
export type CreateContactRequest = z.infer<typeof createContactSchema>;

/** PATCH /api/contacts/:id: the fields given are changed; attributes are merged (null removes a key). */
export const updateContactSchema = createContactSchema.partial();
export type UpdateContactRequest = z.infer<typeof updateContactSchema>;

export const contactListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  email: z.string().max(320).optional(),
  subscribed: z.enum(['true', 'false']).optional(),
});
export type ContactListQuery = z.infer<typeof contactListQuerySchema> & { readonly attributes: Readonly<Record<string, string>> };

export const contactViewSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  subscribed: z.boolean(),
  unsubscribed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ContactView = z.infer<typeof contactViewSchema>;

export const importResultSchema = z.object({
  received: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  rejected: z.number().int(),
  rejections: z.array(z.object({ line: z.number().int(), reason: z.string() })).meta({ description: 'The first 1000 rejected rows: their line (CSV) or 1-based item number (JSON).' }),
});
export type ImportResult = z.infer<typeof importResultSchema>;

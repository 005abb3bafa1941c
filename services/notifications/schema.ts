import { z } from 'zod';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE } from '../domain/identifiers';
import { PROVIDER_NAMES } from '../domain/provider-names';
import { attachmentsField } from '../attachments/schema';
import { bodyText, emailAddress, headerText, storableJson, withinDepth } from '../platform/schema-helpers';
import { templateReference, templateVariables } from '../templates/schema';
import { suppressedRecipientSchema } from '../messages/views';

export const MAX_RECIPIENTS = 50;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_METADATA_DEPTH = 16;
export const MAX_BATCH_ITEMS = 1000;
/** The earliest send_at: no real schedule is older, and Postgres refuses year 0 outright. */
export const EARLIEST_SEND_AT = new Date('2000-01-01T00:00:00Z');
/** How far ahead send_at may be. */
export const MAX_SEND_AHEAD_DAYS = 365;
const MAX_SEND_AHEAD_MS = MAX_SEND_AHEAD_DAYS * 24 * 60 * 60 * 1000;

const recipients = z
  .union([emailAddress, z.array(emailAddress).max(MAX_RECIPIENTS)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

const notifyFields = {
  to: recipients.optional().meta({ description: "Required unless contact_id names the recipient." }),
  cc: recipients.default([]),
  bcc: recipients.default([]),
  subject: headerText(1, 998).optional().meta({ description: 'Required without a template; not allowed with one.' }),
  template: templateReference.optional().meta({ description: 'A template name, or name@version: subject, text and html are rendered from it.' }),
  variables: templateVariables.optional().meta({ description: 'Values for the template; the contact\'s fields are under contact.' }),
  contact_id: z.uuid().optional().meta({ description: 'A contact of this client: the recipient when `to` is absent, its fields under contact. in the template.' }),
  text: bodyText(500_000).optional(),
  html: bodyText(500_000).optional(),
  metadata: z
    .record(z.string().max(256), z.unknown())
    .default({})
    // First, and aborting: the checks after it serialise the value, which a deep enough one would overflow.
    .refine((value) => withinDepth(value, MAX_METADATA_DEPTH), { message: `must nest at most ${MAX_METADATA_DEPTH} levels deep`, abort: true })
    .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
    // Keys and strings at any depth: one value jsonb refuses would fail the INSERT it shares with other requests.
    .superRefine(storableJson)
    .meta({ description: `Any JSON object: at most ${MAX_METADATA_BYTES} bytes, ${MAX_METADATA_DEPTH} levels deep, no NUL or lone surrogates in keys or strings.` }),
  tags: z.array(headerText(1, 64)).max(20).default([]),
  provider: z.enum(PROVIDER_NAMES).optional(),
  use_fallback: z.boolean().default(true),
  send_at: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    // A sane range rather than whatever Postgres takes: year 0 and negative years it refuses, and nobody schedules decades ahead.
    .refine((date) => date.getTime() >= EARLIEST_SEND_AT.getTime(), `must not be before ${EARLIEST_SEND_AT.toISOString()}`)
    .refine((date) => date.getTime() <= Date.now() + MAX_SEND_AHEAD_MS, `must be at most ${MAX_SEND_AHEAD_DAYS} days ahead`)
    .optional()
    .meta({ description: `When to send: from ${EARLIEST_SEND_AT.toISOString()} to ${MAX_SEND_AHEAD_DAYS} days ahead; a time already past sends at once.` }),
  priority: z.number().int().min(0).max(10).default(0),
  reply_to: emailAddress.optional(),
  attachments: attachmentsField,
  from: emailAddress.optional().meta({ description: "The sender: for a user, one of its verified identities (default: its default identity); for other clients, MAIL_FROM's address." }),
  category: z
    .enum(['transactional', 'marketing'])
    .default('transactional')
    .meta({ description: 'marketing: one recipient, List-Unsubscribe headers and {{unsubscribe_url}}; suppressed after an unsubscribe. Needs PUBLIC_URL.' }),
  track: z
    .strictObject({ opens: z.boolean().optional(), clicks: z.boolean().optional() })
    .optional()
    .meta({ description: 'Open and click tracking of the html part; each defaults to TRACK_OPENS / TRACK_CLICKS. Needs PUBLIC_URL.' }),
};

type NotifyShape = {
  to?: string[];
  cc: string[];
  bcc: string[];
  subject?: string;
  text?: string;
  html?: string;
  template?: unknown;
  variables?: unknown;
  contact_id?: string;
  category: 'transactional' | 'marketing';
};

function checkNotify(value: NotifyShape, ctx: z.RefinementCtx): void {
  if (value.template !== undefined) {
    for (const field of ['subject', 'text', 'html'] as const) {
      if (value[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is rendered from the template; do not send it too' });
    }
  } else {
    if (value.subject === undefined) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'subject is required (or a template)' });
    if (value.text === undefined && value.html === undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required (or a template)' });
    if (value.variables !== undefined) ctx.addIssue({ code: 'custom', path: ['variables'], message: 'variables need a template' });
  }
  if ((value.to === undefined || value.to.length === 0) && value.contact_id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'at least one recipient is required' });
  }
  const total = (value.to?.length ?? 0) + value.cc.length + value.bcc.length;
  // One unsubscribe link per person: a marketing mail to several would let any of them unsubscribe the rest.
  if (value.category === 'marketing' && ((value.to?.length ?? 0) > 1 || value.cc.length > 0 || value.bcc.length > 0)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'a marketing message goes to one recipient (its unsubscribe link is theirs); send many with /api/notify/batch' });
  }
  if (total > MAX_RECIPIENTS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together` });
  }
}

/** POST /api/notify. Unknown fields are rejected so that a typo never silently drops content. */
export const notifyRequestSchema = z.strictObject(notifyFields).superRefine(checkNotify);
export type NotifyRequest = z.infer<typeof notifyRequestSchema>;

/** One item of POST /api/notify/batch: a notification plus its own idempotency key. */
export const batchItemSchema = z
  .strictObject({ ...notifyFields, idempotency_key: z.string().regex(IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE) })
  .superRefine(checkNotify);
export type BatchItem = z.infer<typeof batchItemSchema>;

/** The batch envelope; items are validated one by one so one bad item does not sink the rest. */
export const batchRequestSchema = z.strictObject({
  items: z.array(z.unknown()).min(1).max(MAX_BATCH_ITEMS),
});

/** POST /api/v1/emails/send, the seed's own shape: a template to one or more recipients. */
export const emailSendSchema = z.strictObject({
  to: recipients.optional(),
  template: templateReference,
  variables: templateVariables.default({}),
  contact_id: z.uuid().optional(),
}).refine((value) => (value.to !== undefined && value.to.length > 0) || value.contact_id !== undefined, { path: ['to'], message: 'at least one recipient is required' });
export type EmailSendRequest = z.infer<typeof emailSendSchema>;

export const emailSendResponseSchema = z.object({
  status: z.enum(['queued', 'scheduled', 'pending', 'suppressed']),
  email_id: z.uuid(),
  id: z.uuid(),
});

export const batchResultSchema = z.object({
  index: z.number().int(),
  idempotency_key: z.string().nullable(),
  status: z.number().int(),
  id: z.string().uuid().optional(),
  replayed: z.boolean().optional(),
  message_status: z.literal('suppressed').optional().meta({ description: 'Present when every recipient is suppressed: the message is stored but never sent.' }),
  suppression_reason: z.string().optional(),
  suppressed_recipients: z.array(suppressedRecipientSchema).optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type BatchResult = z.infer<typeof batchResultSchema>;

import { z } from 'zod';

// The shapes of Herald's answers the terminal reads, checked once as they arrive. Loose: new fields are fine.

export const userSchema = z.looseObject({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  display_name: z.string().nullable().optional(),
  role: z.string(),
  verified: z.boolean(),
});
export type User = z.infer<typeof userSchema>;

export const sessionSchema = z.looseObject({
  access_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  user: userSchema.optional(),
});
export type SessionAnswer = z.infer<typeof sessionSchema>;

const profileIdentitySchema = z.looseObject({
  address: z.string(),
  display_name: z.string().nullable().optional(),
  is_default: z.boolean().optional(),
  verified: z.boolean().optional(),
});

export const profileSchema = userSchema.extend({
  identities: z.array(profileIdentitySchema).default([]),
  messages_sent_30d: z.number().optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** A sender identity (accounts.md): an address, verified or not, with its own SMTP server or Herald's providers. */
export const identitySchema = z.looseObject({
  id: z.string(),
  address: z.string(),
  display_name: z.string().nullable().optional(),
  is_default: z.boolean().default(false),
  verified: z.boolean().default(false),
  smtp: z
    .looseObject({ host: z.string(), port: z.number().optional(), security: z.string().optional(), username: z.string().optional() })
    .nullable()
    .optional(),
  /** The last connection check of its SMTP server, if any. */
  last_check: z
    .looseObject({ ok: z.boolean(), error_class: z.string().nullable().optional(), detail: z.string().nullable().optional(), at: z.string() })
    .nullable()
    .optional(),
});
export type Identity = z.infer<typeof identitySchema>;

/** GET /api/me/identities: a list, or a page of one. */
export const identityListSchema = z.union([
  z.array(identitySchema),
  z.looseObject({ results: z.array(identitySchema) }).transform((page) => page.results),
  z.looseObject({ identities: z.array(identitySchema) }).transform((page) => page.identities),
]);

export const connectionCheckSchema = z.looseObject({
  ok: z.boolean(),
  error_class: z.string().nullable().optional(),
  detail: z.string().nullable().optional(),
});
export type ConnectionCheck = z.infer<typeof connectionCheckSchema>;

export const acceptedSchema = z.looseObject({ id: z.string(), status: z.string() });
export type Accepted = z.infer<typeof acceptedSchema>;

export const attemptSchema = z.looseObject({
  attempt: z.number(),
  provider: z.string(),
  outcome: z.string(),
  error: z.string().nullable(),
  duration_ms: z.number(),
  at: z.string(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const eventSchema = z.looseObject({ type: z.string(), at: z.string(), data: z.record(z.string(), z.unknown()).default({}) });
export type MessageEvent = z.infer<typeof eventSchema>;

export const messageSummarySchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  to: z.array(z.string()).default([]),
  subject: z.string().default(''),
  created_at: z.string(),
  sent_at: z.string().nullable().optional(),
  error_message: z.string().nullable().optional(),
  provider: z.string().nullable().optional(),
});
export type MessageSummary = z.infer<typeof messageSummarySchema>;

export const messageDetailSchema = messageSummarySchema.extend({
  attempts: z.array(attemptSchema).default([]),
  events: z.array(eventSchema).default([]),
  attachments: z.array(z.looseObject({ filename: z.string(), size: z.number().optional() })).default([]),
});
export type MessageDetail = z.infer<typeof messageDetailSchema>;

export const messagePageSchema = z.looseObject({ count: z.number(), results: z.array(messageSummarySchema) });
export type MessagePage = z.infer<typeof messagePageSchema>;

export const healthSchema = z.looseObject({ status: z.string() });

/** Statuses a message does not leave by itself: following it stops there. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['sent', 'delivered', 'bounced', 'failed', 'cancelled', 'suppressed']);
/** Statuses counted as a success by `send --wait`. */
export const SENT_STATUSES: ReadonlySet<string> = new Set(['sent', 'delivered']);

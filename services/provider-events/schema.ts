import { z } from 'zod';

/** One event of SendGrid's Event Webhook: the fields Herald reads; the rest (and custom args) pass through. */
export const sendgridEventSchema = z
  .object({
    event: z.string(),
    email: z.string().optional(),
    timestamp: z.number().optional(),
    sg_event_id: z.string().optional(),
    sg_message_id: z.string().optional(),
    'smtp-id': z.string().optional(),
    type: z.string().optional(),
    reason: z.string().optional(),
    status: z.string().optional(),
    response: z.string().optional(),
    url: z.string().optional(),
    useragent: z.string().optional(),
    sg_machine_open: z.boolean().optional(),
    herald_message_id: z.string().optional(),
  })
  .passthrough();
export type SendgridEvent = z.infer<typeof sendgridEventSchema>;

/** What SendGrid posts: a batch of events. Each is read on its own, so one odd event does not refuse the rest. */
export const sendgridBatchSchema = z.array(z.unknown()).max(10_000);

/** Mailgun's webhook signature: HMAC-SHA256 of timestamp + token under the signing key, as hex. */
export const mailgunSignatureSchema = z.object({
  timestamp: z.string().regex(/^\d{1,12}$/),
  token: z.string().min(1).max(256),
  signature: z.string().regex(/^[0-9a-f]{64}$/i),
});

/** The part of a Mailgun event Herald reads; the rest passes through. */
export const mailgunEventDataSchema = z
  .object({
    event: z.string(),
    id: z.string().optional(),
    timestamp: z.number().optional(),
    recipient: z.string().optional(),
    severity: z.string().optional(),
    reason: z.string().optional(),
    url: z.string().optional(),
    'delivery-status': z
      .object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional(), description: z.string().optional() })
      .passthrough()
      .optional(),
    message: z.object({ headers: z.object({ 'message-id': z.string().optional() }).passthrough().optional() }).passthrough().optional(),
    'user-variables': z.record(z.string(), z.unknown()).optional(),
    'client-info': z.object({ 'user-agent': z.string().optional(), bot: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type MailgunEventData = z.infer<typeof mailgunEventDataSchema>;

/** What Mailgun posts: one event and its signature (the JSON webhook format). */
export const mailgunPayloadSchema = z.object({
  signature: mailgunSignatureSchema,
  'event-data': mailgunEventDataSchema,
});

/** The answer to a provider's post: how many events came, were recorded, were already known, matched no message, or were not taken. */
export const providerEventsAnswerSchema = z.object({
  received: z.number().int(),
  recorded: z.number().int(),
  duplicates: z.number().int(),
  unmatched: z.number().int(),
  ignored: z.number().int(),
});
export type ProviderEventsAnswer = z.infer<typeof providerEventsAnswerSchema>;

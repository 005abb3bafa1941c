import { z } from 'zod';
import type { Principal } from '../auth/scopes';
import { hasScope } from '../auth/scopes';
import type { AttachmentView } from '../attachments/schema';
import type { DeliveryAttemptRow, MessageEventRow, MessageRow } from './tables';

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** Clients see only their own messages; `admin` sees everyone's. */
export function visibleClient(principal: Principal): string | undefined {
  return hasScope(principal, 'admin') ? undefined : principal.clientId;
}

export const ACCEPTED_MESSAGE = 'Accepted for delivery.';

/** A recipient a suppression took off a message (design/engagement.md). */
export const suppressedRecipientSchema = z.object({
  address: z.string(),
  reason: z.enum(['unsubscribed', 'hard_bounce', 'complaint', 'manual']),
});

/**
 * The 202 answer to an accept: `pending` when the queue could not take the job yet,
 * `suppressed` when every recipient is suppressed (nothing is sent).
 */
export const acceptedResponseSchema = z.object({
  id: z.string().uuid(),
  status: z.enum(['queued', 'scheduled', 'pending', 'suppressed']),
  message: z.string(),
  suppression_reason: z.string().optional().meta({ description: 'Why nothing is sent, when status is suppressed.' }),
  suppressed_recipients: z
    .array(suppressedRecipientSchema)
    .optional()
    .meta({ description: 'Recipients taken off the message because they are suppressed; the others are sent to.' }),
});
export type AcceptedResponse = z.infer<typeof acceptedResponseSchema>;

const deliveryFields = {
  retry_count: z.number().int(),
  error_message: z.string().nullable(),
  provider: z.string().nullable(),
  provider_message_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  sent_at: z.string().nullable(),
};

export const contactViewSchema = z.object({
  id: z.string().uuid(),
  status: z.string(),
  name: z.string(),
  email: z.string(),
  message: z.string(),
  ...deliveryFields,
});
export type ContactView = z.infer<typeof contactViewSchema>;

export const notificationViewSchema = z.object({
  id: z.string().uuid(),
  status: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  reply_to: z.string().nullable(),
  subject: z.string(),
  text: z.string().nullable(),
  html: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  provider_hint: z.string().nullable(),
  use_fallback: z.boolean(),
  priority: z.number().int(),
  send_at: z.string().nullable(),
  template_id: z.string().uuid().nullable().meta({ description: 'The template it was rendered from, if any.' }),
  template_version: z.number().int().nullable(),
  contact_id: z.string().uuid().nullable().meta({ description: 'The contact it was sent to, if any.' }),
  category: z.enum(['transactional', 'marketing']),
  track: z.object({ opens: z.boolean(), clicks: z.boolean() }),
  suppression_reason: z.string().nullable(),
  ...deliveryFields,
});
export type NotificationView = z.infer<typeof notificationViewSchema>;

export const attemptViewSchema = z.object({
  attempt: z.number().int(),
  provider: z.string().meta({ description: 'A provider of the chain, or `smtp:identity` for the sender identity’s own SMTP server.' }),
  identity_id: z.string().uuid().nullable().meta({ description: 'The sender identity the message went out as, if any.' }),
  outcome: z.string(),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
  at: z.string(),
});
export type AttemptView = z.infer<typeof attemptViewSchema>;

export const eventViewSchema = z.object({
  type: z.string(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type EventView = z.infer<typeof eventViewSchema>;

export type MessageView = ContactView | NotificationView;

/** The detail of a message: its view, the provider tries of every attempt, and what happened to it. */
export type MessageDetail<View extends MessageView = MessageView> = View & {
  /** Files: name, type, size and digest; GET …/attachments/:n has the bytes. */
  readonly attachments: readonly AttachmentView[];
  readonly attempts: readonly AttemptView[];
  readonly events: readonly EventView[];
};

function deliveryPart(row: MessageRow) {
  return {
    retry_count: row.retry_count,
    error_message: row.error_message,
    provider: row.provider,
    provider_message_id: row.provider_message_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    sent_at: iso(row.sent_at),
  };
}

/** A contact message as the API shows it: the visitor's fields, not the composed mail. */
export function toContactView(row: MessageRow): ContactView {
  return {
    id: row.id,
    status: row.status,
    name: row.contact_name ?? '',
    email: row.contact_email ?? '',
    message: row.text_body ?? '',
    ...deliveryPart(row),
  };
}

/** A notification (or any composed message) as the API shows it. */
export function toNotificationView(row: MessageRow): NotificationView {
  return {
    id: row.id,
    status: row.status,
    to: row.to,
    cc: row.cc,
    bcc: row.bcc,
    reply_to: row.reply_to,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    metadata: row.metadata,
    tags: row.tags,
    provider_hint: row.provider_hint,
    use_fallback: row.use_fallback,
    priority: row.priority,
    send_at: iso(row.send_at),
    template_id: row.template_id,
    template_version: row.template_version,
    contact_id: row.contact_id,
    category: row.category,
    track: { opens: row.track_opens === true, clicks: row.track_clicks === true },
    suppression_reason: row.suppression_reason,
    ...deliveryPart(row),
  };
}

export function toAttemptView(row: DeliveryAttemptRow): AttemptView {
  return { attempt: row.attempt, provider: row.provider, identity_id: row.identity_id, outcome: row.outcome, error: row.error, duration_ms: row.duration_ms, at: iso(row.at) };
}

export function toEventView(row: MessageEventRow): EventView {
  return { type: row.type, at: iso(row.at), data: row.data };
}

import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { EventType } from '../domain/event-types';
import type { MessageKind } from '../domain/message-kinds';
import type { MessageStatus } from '../domain/message-statuses';
import type { TryOutcome } from '../domain/try-outcomes';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

/** One record of every message, whatever its kind (DESIGN section 3). */
export interface MessagesTable {
  id: ColumnType<string, string | undefined, never>;
  kind: MessageKind;
  client_id: string;
  user_id: string | null;
  identity_id: string | null;
  idempotency_key: string;
  request_hash: string;
  to: string[];
  cc: ColumnType<string[], string[] | undefined, string[]>;
  bcc: ColumnType<string[], string[] | undefined, string[]>;
  from_address: string | null;
  reply_to: string | null;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  metadata: Json<Record<string, unknown>>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  category: ColumnType<'transactional' | 'marketing', 'transactional' | 'marketing' | undefined, 'transactional' | 'marketing'>;
  provider_hint: string | null;
  use_fallback: ColumnType<boolean, boolean | undefined, boolean>;
  priority: ColumnType<number, number | undefined, number>;
  send_at: NullableTimestamp;
  template_id: string | null;
  template_version: number | null;
  contact_id: ColumnType<string | null, string | null | undefined, string | null>;
  track_opens: boolean | null;
  track_clicks: boolean | null;
  contact_name: string | null;
  contact_email: string | null;
  source_ip: string | null;
  user_agent: string | null;
  status: ColumnType<MessageStatus, MessageStatus | undefined, MessageStatus>;
  retry_count: ColumnType<number, number | undefined, number>;
  error_message: string | null;
  suppression_reason: string | null;
  provider: string | null;
  provider_message_id: string | null;
  lease_until: NullableTimestamp;
  /** Whose claim the `sending` row is under: every outcome write must present it. */
  claim_token: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: NullableTimestamp;
  /** Files in message_attachments; 0 for most messages, which then cost no read of that table. */
  attachment_count: ColumnType<number, number | undefined, number>;
}

/** A file a message carries, stored by the statement that accepted the message. */
export interface MessageAttachmentsTable {
  message_id: string;
  position: number;
  filename: string;
  content_type: string;
  content_id: string | null;
  size: number;
  sha256: string;
  content: Buffer;
}

/** One provider try of one attempt. */
export interface DeliveryAttemptsTable {
  id: Generated<string>;
  message_id: string;
  attempt: number;
  provider: string;
  identity_id: string | null;
  outcome: TryOutcome;
  error: string | null;
  duration_ms: number;
  at: Timestamp;
}

/** What happened to a message, appended by the transition that made it happen. */
export interface MessageEventsTable {
  id: Generated<string>;
  message_id: string;
  type: EventType;
  at: Timestamp;
  data: Json<Record<string, unknown>>;
  /** The provider's own id of a provider event (SendGrid sg_event_id, Mailgun event id): unique per message. */
  provider_event_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MessageTables {
  messages: MessagesTable;
  delivery_attempts: DeliveryAttemptsTable;
  message_events: MessageEventsTable;
  message_attachments: MessageAttachmentsTable;
}

export type MessageRow = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type DeliveryAttemptRow = Selectable<DeliveryAttemptsTable>;
export type MessageEventRow = Selectable<MessageEventsTable>;

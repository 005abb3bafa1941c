import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const MESSAGE_STATUSES = ['pending', 'queued', 'scheduled', 'sending', 'sent', 'failed', 'cancelled', 'suppressed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type MessageKind = 'contact' | 'notification';

interface DeliveryColumns {
  status: ColumnType<MessageStatus, MessageStatus | undefined, MessageStatus>;
  retry_count: ColumnType<number, number | undefined, number>;
  error_message: string | null;
  provider: string | null;
  provider_message_id: string | null;
  lease_until: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface ContactMessagesTable extends DeliveryColumns {
  id: ColumnType<string, string | undefined, never>;
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  name: string;
  email: string;
  message: string;
  source_ip: string | null;
  user_agent: string | null;
  suppression_reason: string | null;
}

export interface NotificationsTable extends DeliveryColumns {
  id: ColumnType<string, string | undefined, never>;
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  to: string[];
  cc: string[];
  bcc: string[];
  from_address: string | null;
  reply_to: string | null;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  tags: string[];
  provider_hint: string | null;
  use_fallback: boolean;
  priority: ColumnType<number, number | undefined, number>;
  send_at: NullableTimestamp;
}

export interface DeliveryAttemptsTable {
  id: Generated<string>;
  message_kind: MessageKind;
  message_id: string;
  attempt: number;
  provider: string;
  outcome: 'sent' | 'transient' | 'permanent' | 'skipped';
  error: string | null;
  duration_ms: number;
  at: Timestamp;
}

export interface ApiKeysTable {
  id: ColumnType<string, string | undefined, never>;
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface Database {
  contact_messages: ContactMessagesTable;
  notifications: NotificationsTable;
  delivery_attempts: DeliveryAttemptsTable;
  api_keys: ApiKeysTable;
}

export type ContactMessageRow = Selectable<ContactMessagesTable>;
export type NewContactMessage = Insertable<ContactMessagesTable>;
export type NotificationRow = Selectable<NotificationsTable>;
export type NewNotification = Insertable<NotificationsTable>;
export type DeliveryAttemptRow = Selectable<DeliveryAttemptsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

/** The columns a delivery reads (composing the mail and choosing providers), and no others. */
export const SEND_COLUMNS = {
  contact: ['id', 'name', 'email', 'message'],
  notification: ['id', 'to', 'cc', 'bcc', 'from_address', 'reply_to', 'subject', 'text_body', 'html_body', 'tags', 'metadata', 'provider_hint', 'use_fallback'],
} as const;

export type ContactToSend = Pick<ContactMessageRow, (typeof SEND_COLUMNS.contact)[number]>;
export type NotificationToSend = Pick<NotificationRow, (typeof SEND_COLUMNS.notification)[number]>;

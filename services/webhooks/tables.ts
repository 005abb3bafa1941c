import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

/** Where a client wants to hear of its messages' events; the secret is sealed (platform/crypto.ts). */
export interface WebhookEndpointsTable {
  id: ColumnType<string, string | undefined, never>;
  client_id: string;
  url: string;
  description: ColumnType<string, string | undefined, string>;
  event_types: ColumnType<string[], string[] | undefined, string[]>;
  secret_ciphertext: string;
  secret_key_id: string;
  previous_secret_ciphertext: string | null;
  previous_secret_key_id: string | null;
  previous_secret_expires_at: NullableTimestamp;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  disabled_reason: string | null;
  failing_since: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint, from the statement that wrote the event until it is delivered or given up. */
export interface WebhookDeliveriesTable {
  id: ColumnType<string, string | undefined, never>;
  endpoint_id: string;
  /** The `webhook-id` header: the same on every retry and replay. */
  event_id: string;
  type: string;
  payload: Json<Record<string, unknown>>;
  event_at: Timestamp;
  attempt: ColumnType<number, number | undefined, number>;
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>;
  response_code: number | null;
  duration_ms: number | null;
  error: string | null;
  next_attempt_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

/** One try of one delivery: the delivery log. */
export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempt: number;
  response_code: number | null;
  duration_ms: number;
  error: string | null;
  at: Timestamp;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

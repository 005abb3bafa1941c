import type { ColumnType, Generated, Selectable } from 'kysely';

export const SUPPRESSION_REASONS = ['unsubscribed', 'hard_bounce', 'complaint', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** An address Herald must not mail: for one client, or for every client when client_id is null. */
export interface SuppressionsTable {
  id: Generated<string>;
  client_id: string | null;
  /** Lower-cased. */
  address: string;
  reason: SuppressionReason;
  message_id: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
}

export interface SuppressionTables {
  suppressions: SuppressionsTable;
}

export type SuppressionRow = Selectable<SuppressionsTable>;

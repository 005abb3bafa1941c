import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Someone a client sends to, with what the client knows of them. */
export interface ContactsTable {
  id: Generated<string>;
  client_id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  unsubscribed_at: NullableTimestamp;
}

export interface ContactTables {
  contacts: ContactsTable;
}

export type ContactRow = Selectable<ContactsTable>;

import { type Kysely, sql } from 'kysely';

/**
 * Suppressions (shared/design/engagement.md): addresses Herald must not mail, per client
 * (client_id null: for every client). Laid down before tracking and provider events, which
 * both write it. Addresses are stored lower-cased; one row per client and address.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table suppressions (
      id bigint generated always as identity primary key,
      client_id text,
      address text not null check (address = lower(address)),
      reason text not null check (reason in ('unsubscribed', 'hard_bounce', 'complaint', 'manual')),
      message_id uuid references messages (id) on delete set null,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      constraint suppressions_client_address unique nulls not distinct (client_id, address)
    )`.execute(db);
  await sql`create index suppressions_address on suppressions (address)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists suppressions`.execute(db);
}

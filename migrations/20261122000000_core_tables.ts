import { type Kysely, sql } from 'kysely';

const deliveryColumns = sql`
  status text not null default 'pending',
  retry_count integer not null default 0,
  error_message text,
  provider text,
  provider_message_id text,
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db).catch(() => undefined);
  await sql`
    create table contact_messages (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      idempotency_key text not null,
      request_hash text not null,
      name text not null,
      email text not null,
      message text not null,
      source_ip text,
      user_agent text,
      suppression_reason text,
      ${deliveryColumns},
      constraint contact_messages_idempotency unique (client_id, idempotency_key)
    )`.execute(db);
  await sql`
    create table notifications (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      idempotency_key text not null,
      request_hash text not null,
      "to" text[] not null,
      cc text[] not null default '{}',
      bcc text[] not null default '{}',
      from_address text,
      reply_to text,
      subject text not null,
      text_body text,
      html_body text,
      metadata jsonb not null default '{}',
      tags text[] not null default '{}',
      provider_hint text,
      use_fallback boolean not null default true,
      priority integer not null default 0,
      send_at timestamptz,
      ${deliveryColumns},
      constraint notifications_idempotency unique (client_id, idempotency_key)
    )`.execute(db);
  for (const table of ['contact_messages', 'notifications']) {
    await sql`create index ${sql.raw(`${table}_client_created`)} on ${sql.table(table)} (client_id, created_at desc)`.execute(db);
    await sql`create index ${sql.raw(`${table}_created`)} on ${sql.table(table)} (created_at desc)`.execute(db);
    // The sweeper only looks at rows still in flight; a partial index keeps that scan small however many are sent.
    await sql`create index ${sql.raw(`${table}_in_flight`)} on ${sql.table(table)} (updated_at)
      where status in ('pending', 'queued', 'sending', 'scheduled')`.execute(db);
  }
  await sql`
    create table delivery_attempts (
      id bigint generated always as identity primary key,
      message_kind text not null,
      message_id uuid not null,
      attempt integer not null,
      provider text not null,
      outcome text not null,
      error text,
      duration_ms integer not null,
      at timestamptz not null default now()
    )`.execute(db);
  await sql`create index delivery_attempts_message on delivery_attempts (message_id, at)`.execute(db);
  await sql`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      prefix text not null,
      hash text not null unique,
      scopes text[] not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['api_keys', 'delivery_attempts', 'notifications', 'contact_messages']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}

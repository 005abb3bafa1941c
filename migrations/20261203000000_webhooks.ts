import { type Kysely, sql } from 'kysely';

/**
 * Outbound webhooks (design/webhooks.md): endpoints with their sealed secrets, one delivery row
 * per event and endpoint (written by the statement that writes the event), one row per try.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      url text not null,
      description text not null default '',
      event_types text[] not null default '{}',
      secret_ciphertext text not null,
      secret_key_id text not null,
      previous_secret_ciphertext text,
      previous_secret_key_id text,
      previous_secret_expires_at timestamptz,
      enabled boolean not null default true,
      disabled_reason text,
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  // The lifecycle statements join every event with its client's enabled endpoints: one index probe.
  await sql`create index webhook_endpoints_client on webhook_endpoints (client_id) where enabled`.execute(db);

  await sql`
    create table webhook_deliveries (
      id uuid primary key default gen_random_uuid(),
      endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
      event_id text not null,
      type text not null,
      payload jsonb not null,
      event_at timestamptz not null default now(),
      attempt integer not null default 0,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      response_code integer,
      duration_ms integer,
      error text,
      next_attempt_at timestamptz default now(),
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at desc)`.execute(db);
  // The sweeper looks only at deliveries still to be sent.
  await sql`create index webhook_deliveries_pending on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);

  await sql`
    create table webhook_attempts (
      id bigint generated always as identity primary key,
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempt integer not null,
      response_code integer,
      duration_ms integer not null,
      error text,
      at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhook_attempts_delivery on webhook_attempts (delivery_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_attempts`.execute(db);
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhook_endpoints`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Wave 2: one `messages` table for every kind, replacing contact_messages and notifications;
 * delivery_attempts refers to it by a foreign key; message_events records every transition.
 * Existing rows move with their ids, statuses and attempts. A contact message is stored
 * composed (to the inbox, Reply-To the visitor); rows moved from contact_messages keep an
 * empty `to`, which the sender reads as CONTACT_INBOX, since the inbox is not known here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table messages (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('contact', 'notification', 'system')),
      client_id text not null,
      user_id uuid,
      identity_id uuid,
      idempotency_key text not null,
      request_hash text not null,
      "to" text[] not null default '{}',
      cc text[] not null default '{}',
      bcc text[] not null default '{}',
      from_address text,
      reply_to text,
      subject text not null,
      text_body text,
      html_body text,
      metadata jsonb not null default '{}',
      tags text[] not null default '{}',
      category text not null default 'transactional' check (category in ('transactional', 'marketing')),
      provider_hint text,
      use_fallback boolean not null default true,
      priority integer not null default 0,
      send_at timestamptz,
      template_id uuid,
      template_version integer,
      track_opens boolean,
      track_clicks boolean,
      contact_name text,
      contact_email text,
      source_ip text,
      user_agent text,
      status text not null default 'pending',
      retry_count integer not null default 0,
      error_message text,
      suppression_reason text,
      provider text,
      provider_message_id text,
      lease_until timestamptz,
      claim_token uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      sent_at timestamptz,
      constraint messages_idempotency unique (client_id, idempotency_key)
    )`.execute(db);

  await sql`
    insert into messages (id, kind, client_id, idempotency_key, request_hash, "to", reply_to, subject, text_body,
                          contact_name, contact_email, source_ip, user_agent, status, retry_count, error_message,
                          suppression_reason, provider, provider_message_id, lease_until, created_at, updated_at, sent_at)
    select id, 'contact', client_id, idempotency_key, request_hash, '{}', email, 'New contact message from ' || name, message,
           name, email, source_ip, user_agent, status, retry_count, error_message,
           suppression_reason, provider, provider_message_id, lease_until, created_at, updated_at, sent_at
      from contact_messages`.execute(db);
  await sql`
    insert into messages (id, kind, client_id, idempotency_key, request_hash, "to", cc, bcc, from_address, reply_to, subject,
                          text_body, html_body, metadata, tags, provider_hint, use_fallback, priority, send_at, status,
                          retry_count, error_message, provider, provider_message_id, lease_until, created_at, updated_at, sent_at)
    select id, 'notification', client_id, idempotency_key, request_hash, "to", cc, bcc, from_address, reply_to, subject,
           text_body, html_body, metadata, tags, provider_hint, use_fallback, priority, send_at, status,
           retry_count, error_message, provider, provider_message_id, lease_until, created_at, updated_at, sent_at
      from notifications`.execute(db);

  // A row moved while `sending` has no claim token: its lease ends and the sweeper or a stalled job reclaims it.
  await sql`create index messages_client_created on messages (client_id, kind, created_at desc)`.execute(db);
  await sql`create index messages_kind_created on messages (kind, created_at desc)`.execute(db);
  // The sweeper only looks at rows still in flight; a partial index keeps that scan small however many are sent.
  await sql`create index messages_in_flight on messages (updated_at, id) where status in ('pending', 'queued', 'sending', 'scheduled')`.execute(db);

  await sql`delete from delivery_attempts a where not exists (select 1 from messages m where m.id = a.message_id)`.execute(db);
  await sql`alter table delivery_attempts drop column message_kind`.execute(db);
  await sql`alter table delivery_attempts add column identity_id uuid`.execute(db);
  await sql`alter table delivery_attempts add constraint delivery_attempts_message_fk foreign key (message_id) references messages (id) on delete cascade`.execute(db);

  await sql`
    create table message_events (
      id bigint generated always as identity primary key,
      message_id uuid not null references messages (id) on delete cascade,
      type text not null,
      at timestamptz not null default now(),
      data jsonb not null default '{}'
    )`.execute(db);
  await sql`create index message_events_message on message_events (message_id, id)`.execute(db);

  await sql`drop table contact_messages`.execute(db);
  await sql`drop table notifications`.execute(db);
}

// No down(): splitting the record again would drop system messages and events; restore a backup instead.

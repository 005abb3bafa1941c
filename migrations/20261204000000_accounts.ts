import { type Kysely, sql } from 'kysely';

/**
 * Accounts (shared/design/accounts.md): users, their refresh-token sessions, email
 * verifications, and the attachments a message carries, written by the accept statement.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      username text not null,
      email text not null,
      display_name text,
      password_hash text not null,
      role text not null default 'user' check (role in ('user', 'admin')),
      email_verified_at timestamptz,
      disabled_at timestamptz,
      password_changed_at timestamptz not null default now(),
      last_login_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index users_username on users (lower(username))`.execute(db);
  await sql`create unique index users_email on users (lower(email))`.execute(db);

  await sql`
    create table user_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      family_id uuid not null,
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      user_agent text,
      ip text
    )`.execute(db);
  await sql`create index user_sessions_family on user_sessions (family_id)`.execute(db);
  await sql`create index user_sessions_user on user_sessions (user_id)`.execute(db);

  await sql`
    create table email_verifications (
      token_hash text primary key,
      user_id uuid not null references users (id) on delete cascade,
      email text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index email_verifications_user on email_verifications (user_id)`.execute(db);

  await sql`create index messages_user_created on messages (user_id, created_at desc) where user_id is not null`.execute(db);

  // How many files a message carries: the worker reads message_attachments only when it is not 0.
  await sql`alter table messages add column attachment_count integer not null default 0`.execute(db);
  await sql`
    create table message_attachments (
      message_id uuid not null references messages (id) on delete cascade,
      position integer not null,
      filename text not null,
      content_type text not null,
      content_id text,
      size integer not null,
      sha256 text not null,
      content bytea not null,
      primary key (message_id, position)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists message_attachments`.execute(db);
  await sql`alter table messages drop column if exists attachment_count`.execute(db);
  await sql`drop index if exists messages_user_created`.execute(db);
  await sql`drop table if exists email_verifications`.execute(db);
  await sql`drop table if exists user_sessions`.execute(db);
  await sql`drop table if exists users`.execute(db);
}

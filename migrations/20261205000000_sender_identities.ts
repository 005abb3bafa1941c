import { type Kysely, sql } from 'kysely';

/**
 * Sender identities (shared/design/accounts.md): the addresses a user sends as, each with its
 * own SMTP server when it has one (the password sealed under CREDENTIALS_KEYS). Every existing
 * user gets its account email as its first, default identity.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sender_identities (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      address text not null,
      display_name text,
      is_default boolean not null default false,
      smtp_host text,
      smtp_port integer,
      smtp_security text check (smtp_security in ('tls', 'starttls', 'none')),
      smtp_username text,
      smtp_password text,
      key_id text,
      verified_at timestamptz,
      verify_code_hash text,
      verify_expires_at timestamptz,
      last_check_at timestamptz,
      last_check_result jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((smtp_host is null) = (smtp_password is null) and (smtp_password is null) = (key_id is null))
    )`.execute(db);
  await sql`create unique index sender_identities_address on sender_identities (user_id, lower(address))`.execute(db);
  await sql`create unique index sender_identities_default on sender_identities (user_id) where is_default`.execute(db);
  await sql`create index sender_identities_key on sender_identities (key_id) where key_id is not null`.execute(db);
  await sql`
    insert into sender_identities (user_id, address, is_default, created_at, updated_at)
    select id, email, true, created_at, now() from users`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists sender_identities`.execute(db);
}

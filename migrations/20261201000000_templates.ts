import { type Kysely, sql } from 'kysely';

/**
 * Templates and their immutable versions, contacts, and the link from a message to its contact
 * (templates.md). messages.template_id and template_version exist since the one-record migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table templates (
      id uuid primary key default gen_random_uuid(),
      client_id text,
      name text not null,
      description text,
      active_version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      archived_at timestamptz
    )`.execute(db);
  // One live name per owner (an archived name may be used again); shared templates (client_id null) have their own namespace.
  await sql`create unique index templates_owner_name on templates ((coalesce(client_id, '')), name) where archived_at is null`.execute(db);

  await sql`
    create table template_versions (
      template_id uuid not null references templates (id) on delete cascade,
      version integer not null,
      engine text not null check (engine in ('handlebars', 'mjml')),
      subject text not null,
      source text,
      html text,
      text text,
      variables text[] not null default '{}',
      required_variables text[] not null default '{}',
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (template_id, version)
    )`.execute(db);

  await sql`
    create table contacts (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      email text not null,
      first_name text,
      last_name text,
      attributes jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unsubscribed_at timestamptz,
      constraint contacts_client_email unique (client_id, email)
    )`.execute(db);
  await sql`create index contacts_client_created on contacts (client_id, created_at desc, id desc)`.execute(db);

  await sql`alter table messages add column contact_id uuid`.execute(db);
  // A rendered template makes bodies of tens of KB; lz4 compresses them several times faster than pglz.
  await sql`alter table messages alter column html_body set compression lz4, alter column text_body set compression lz4`.execute(db);
  // Partial: only messages sent to a contact pay for the index.
  await sql`create index messages_contact on messages (contact_id, created_at desc) where contact_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_contact`.execute(db);
  await sql`alter table messages drop column if exists contact_id`.execute(db);
  await sql`alter table messages alter column html_body set compression default, alter column text_body set compression default`.execute(db);
  await sql`drop table if exists contacts`.execute(db);
  await sql`drop table if exists template_versions`.execute(db);
  await sql`drop table if exists templates`.execute(db);
}

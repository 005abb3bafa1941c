import { type Kysely, sql } from 'kysely';

/**
 * Tracking and unsubscribe (shared/design/engagement.md). `tracked_links` holds every random
 * token a sent mail carries: the open pixel, each rewritten link with its position and target,
 * and the unsubscribe link; written once per message so a retry sends the same ones.
 * `tracking_salt` is the one secret the IP hashes of engagement events are keyed with.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tracked_links (
      token text primary key,
      message_id uuid not null references messages (id) on delete cascade,
      kind text not null check (kind in ('open', 'click', 'unsubscribe')),
      position integer not null default 0,
      url text,
      created_at timestamptz not null default now(),
      constraint tracked_links_message_kind_position unique (message_id, kind, position)
    )`.execute(db);
  await sql`
    create table tracking_salt (
      id boolean primary key default true check (id),
      salt text not null
    )`.execute(db);
  await sql`insert into tracking_salt (salt) values (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists tracking_salt`.execute(db);
  await sql`drop table if exists tracked_links`.execute(db);
}

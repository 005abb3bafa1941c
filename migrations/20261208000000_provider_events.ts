import { type Kysely, sql } from 'kysely';

/**
 * Provider events in (shared/design/engagement.md): each event SendGrid or Mailgun reports is
 * one `message_events` row, kept once however often the provider posts it, so the event's own
 * id (SendGrid sg_event_id, Mailgun event-data id) is stored and unique per message. Events
 * that carry no Herald id are matched by the provider's message id: only rows sent through
 * SendGrid or Mailgun enter that index, so SMTP and outbox sends do not pay for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table message_events add column provider_event_id text`.execute(db);
  await sql`create unique index message_events_provider_event on message_events (message_id, provider_event_id) where provider_event_id is not null`.execute(db);
  await sql`create index messages_provider_message_id on messages (provider_message_id) where provider in ('sendgrid', 'mailgun')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_provider_message_id`.execute(db);
  await sql`drop index if exists message_events_provider_event`.execute(db);
  await sql`alter table message_events drop column if exists provider_event_id`.execute(db);
}

import { sql } from 'kysely';
import type { Db } from '../database';
import type { EventType } from '../domain/event-types';

/** The events a client may report itself; delivery events come from providers and transitions. */
export type ReportedEventType = Extract<EventType, 'converted'>;

/**
 * Record an event a client reports on one of its messages (a conversion): appended to
 * message_events without changing the status, in one statement that also checks ownership.
 * `clientId` undefined means any client's message (an admin). Returns the event, or
 * undefined when there is no such message the caller may read.
 */
export async function recordEvent(
  db: Db,
  messageId: string,
  clientId: string | undefined,
  type: ReportedEventType,
  data: Record<string, unknown>,
): Promise<{ id: string; at: Date } | undefined> {
  const ownedBy = clientId === undefined ? sql`true` : sql`client_id = ${clientId}`;
  const result = await sql<{ id: string; at: Date }>`
    insert into message_events (message_id, type, data)
    select id, ${type}, ${JSON.stringify(data)}::jsonb from messages where id = ${messageId} and ${ownedBy}
    returning id, at`.execute(db);
  return result.rows[0];
}

import { sql } from 'kysely';
import type { Db } from '../database';
import type { EventType } from '../domain/event-types';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

/** The events a client may report itself; delivery events come from providers and transitions. */
export type ReportedEventType = Extract<EventType, 'converted'>;

/**
 * Record an event a client reports on one of its messages (a conversion): appended to
 * message_events without changing the status, with its webhook deliveries, in one statement
 * that also checks ownership. `clientId` undefined means any client's message (an admin).
 * Returns the event and the deliveries to enqueue, or undefined when there is no such message
 * the caller may read.
 */
export async function recordEvent(
  db: Db,
  messageId: string,
  clientId: string | undefined,
  type: ReportedEventType,
  data: Record<string, unknown>,
): Promise<{ id: string; at: Date; webhookDeliveries: string[] } | undefined> {
  const ownedBy = clientId === undefined ? sql`true` : sql`client_id = ${clientId}`;
  const result = await sql<{ id: string; at: Date; webhook_deliveries: string[] }>`
    with message as (
      select id, client_id, kind, tags, metadata from messages where id = ${messageId} and ${ownedBy}
    ), events as (
      insert into message_events (message_id, type, data)
      select id, ${type}, ${JSON.stringify(data)}::jsonb from message
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('message')}
    select id, at, ${WEBHOOK_DELIVERY_IDS} from events`.execute(db);
  const row = result.rows[0];
  return row === undefined ? undefined : { id: row.id, at: row.at, webhookDeliveries: webhookDeliveryIds(result.rows) };
}

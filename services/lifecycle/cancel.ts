import { sql } from 'kysely';
import type { Db } from '../database';
import type { MessageKind } from '../domain/message-kinds';
import { CLAIMABLE_STATUSES, type MessageStatus } from '../domain/message-statuses';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

export type CancelResult = { readonly cancelled: true; readonly webhookDeliveries: string[] } | { readonly cancelled: false; readonly status: MessageStatus | undefined };

/**
 * Cancel: a message not yet being sent becomes `cancelled`, with its event, in one statement.
 * A message being sent cannot be (its send may already have reached the provider). `clientId`
 * limits it to one client's messages; the answer says the status that refused it, or
 * undefined when there is no such message.
 */
export async function cancelMessage(db: Db, id: string, kind: MessageKind, clientId: string | undefined): Promise<CancelResult> {
  const ownedBy = clientId === undefined ? sql`true` : sql`client_id = ${clientId}`;
  const ownedByM = clientId === undefined ? sql`true` : sql`m.client_id = ${clientId}`;
  const result = await sql<{ id: string | null; status: MessageStatus | null; webhook_deliveries: string[] }>`
    with written as (
      update messages set status = 'cancelled', lease_until = null, updated_at = now()
       where id = ${id} and kind = ${kind} and ${ownedBy} and status in (${sql.join([...CLAIMABLE_STATUSES])})
      returning id, client_id, kind, tags, metadata
    ), events as (
      insert into message_events (message_id, type) select id, 'cancelled' from written
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('written')}
    select w.id, m.status, ${WEBHOOK_DELIVERY_IDS} from messages m left join written w on w.id = m.id
     where m.id = ${id} and m.kind = ${kind} and ${ownedByM}`.execute(db);
  const row = result.rows[0];
  if (row?.id !== null && row?.id !== undefined) return { cancelled: true, webhookDeliveries: webhookDeliveryIds(result.rows) };
  return { cancelled: false, status: row?.status ?? undefined };
}

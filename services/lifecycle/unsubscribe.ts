import { sql } from 'kysely';
import type { Db } from '../database';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

/**
 * Unsubscribe by a message's unsubscribe token (RFC 8058 one-click): the message's recipient
 * gets an `unsubscribed` suppression for the message's client (an unexpired entry already there
 * is kept), the client's contact with that address its unsubscribed_at, and the message one
 * `unsubscribed` event with its webhook deliveries (a second use of the link adds none); one
 * statement. Returns undefined for an unknown token.
 */
export async function unsubscribe(
  db: Db,
  token: string,
): Promise<{ clientId: string; address: string; webhookDeliveries: string[] } | undefined> {
  const result = await sql<{ client_id: string; address: string; webhook_deliveries: string[] }>`
    with link as (
      select m.id, m.client_id, m.kind, m.tags, m.metadata, lower(m."to"[1]) as address
        from tracked_links t join messages m on m.id = t.message_id
       where t.token = ${token} and t.kind = 'unsubscribe' and cardinality(m."to") > 0
    ), suppressed as (
      insert into suppressions (client_id, address, reason, message_id)
      select client_id, address, 'unsubscribed', id from link
      on conflict (client_id, address) do update
         set reason = 'unsubscribed', message_id = excluded.message_id, created_at = now(), expires_at = null
       where suppressions.expires_at is not null and suppressions.expires_at <= now()
      returning id
    ), contact as (
      update contacts c set unsubscribed_at = now(), updated_at = now()
        from link
       where c.client_id = link.client_id and c.email = link.address and c.unsubscribed_at is null
      returning c.id
    ), events as (
      insert into message_events (message_id, type, data)
      select id, 'unsubscribed', jsonb_build_object('via', 'link') from link
       where not exists (select 1 from message_events e where e.message_id = link.id and e.type = 'unsubscribed')
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('link')}
    select client_id, address, ${WEBHOOK_DELIVERY_IDS} from link`.execute(db);
  const row = result.rows[0];
  return row === undefined ? undefined : { clientId: row.client_id, address: row.address, webhookDeliveries: webhookDeliveryIds(result.rows) };
}

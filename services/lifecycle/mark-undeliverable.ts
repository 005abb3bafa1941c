import { sql } from 'kysely';
import type { Db } from '../database';
import type { Claim } from './attempt-rows';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

/** The error class of a message stopped before any provider because no recipient can receive mail. */
export const RECIPIENT_UNDELIVERABLE = 'recipient_undeliverable';

/**
 * Mark undeliverable: `sending` → `failed` before any provider was called (VALIDATION_POLICY
 * worker), with no tries and a `failed` event naming the error class and each recipient's
 * reason, and its webhook deliveries, in one statement. `written` is false when the claim was
 * stale (nothing written).
 */
export async function markUndeliverable(
  db: Db,
  claim: Claim,
  attempt: number,
  reasons: Readonly<Record<string, string>>,
): Promise<{ written: boolean; webhookDeliveries: string[] }> {
  const error = `${RECIPIENT_UNDELIVERABLE}: no recipient's domain can receive mail`;
  const data = JSON.stringify({ attempt, permanent: true, provider: null, error_class: RECIPIENT_UNDELIVERABLE, recipients: reasons });
  const result = await sql<{ id: string; webhook_deliveries: string[] }>`
    with written as (
      update messages set status = 'failed', error_message = ${error}, lease_until = null, claim_token = null, updated_at = now()
       where id = ${claim.id} and claim_token = ${claim.token} and status = 'sending'
      returning id, client_id, kind, tags, metadata
    ), events as (
      insert into message_events (message_id, type, data) select id, 'failed', ${data}::jsonb from written
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('written')}
    select id, ${WEBHOOK_DELIVERY_IDS} from written`.execute(db);
  return { written: result.rows.length > 0, webhookDeliveries: webhookDeliveryIds(result.rows) };
}

import { sql } from 'kysely';
import type { Db } from '../database';
import { type AttemptRecord, type Claim, insertTries } from './attempt-rows';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

export interface Failure {
  readonly error: string;
  /** True when a provider refused the message itself; false when the attempts ran out. */
  readonly permanent: boolean;
  /** The provider the failure is about, when one answered. */
  readonly provider: string | null;
}

/**
 * Mark failed: `sending` → `failed`, with the attempt's tries, a `failed` event and its webhook
 * deliveries in the same statement. `written` is false when the claim was stale (nothing written).
 */
export async function markFailed(
  db: Db,
  claim: Claim,
  failure: Failure,
  attempt: AttemptRecord,
): Promise<{ written: boolean; webhookDeliveries: string[] }> {
  const data = JSON.stringify({ attempt: attempt.attempt, permanent: failure.permanent, provider: failure.provider });
  const result = await sql<{ id: string; webhook_deliveries: string[] }>`
    with written as (
      update messages set status = 'failed', error_message = ${failure.error}, lease_until = null, claim_token = null, updated_at = now()
       where id = ${claim.id} and claim_token = ${claim.token} and status = 'sending'
      returning id, client_id, kind, tags, metadata
    ), recorded as (${insertTries([attempt])}
    ), events as (
      insert into message_events (message_id, type, data) select id, 'failed', ${data}::jsonb from written
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('written')}
    select id, ${WEBHOOK_DELIVERY_IDS} from written`.execute(db);
  return { written: result.rows.length > 0, webhookDeliveries: webhookDeliveryIds(result.rows) };
}

import { sql } from 'kysely';
import type { Db } from '../database';
import { type AttemptRecord, type Claim, insertTries } from './attempt-rows';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

export interface SentOutcome extends Claim {
  readonly provider: string;
  readonly providerMessageId: string;
  readonly attempt: AttemptRecord;
}

/**
 * Mark sent: `sending` → `sent` for every send whose claim still holds, with the attempt's
 * tries, a `sent` event and its webhook deliveries in the same statement. Returns the ids
 * written and the webhook deliveries to enqueue; a send from a stale claim changes nothing.
 */
export async function markSent(db: Db, outcomes: readonly SentOutcome[]): Promise<{ written: Set<string>; webhookDeliveries: string[] }> {
  if (outcomes.length === 0) return { written: new Set(), webhookDeliveries: [] };
  const result = await sql<{ id: string; webhook_deliveries: string[] }>`
    with v as (
      select * from unnest(
        ${outcomes.map((o) => o.id)}::uuid[], ${outcomes.map((o) => o.token)}::uuid[], ${outcomes.map((o) => o.provider)}::text[],
        ${outcomes.map((o) => o.providerMessageId)}::text[], ${outcomes.map((o) => o.attempt.attempt)}::int[]
      ) as v(id, token, provider, provider_message_id, attempt)
    ), written as (
      update messages as m
         set status = 'sent', sent_at = now(), provider = v.provider, provider_message_id = v.provider_message_id,
             error_message = null, lease_until = null, claim_token = null, updated_at = now()
        from v
       where m.id = v.id and m.claim_token = v.token and m.status = 'sending'
      returning m.id, m.client_id, m.kind, m.tags, m.metadata, v.provider, v.provider_message_id, v.attempt
    ), recorded as (${insertTries(outcomes.map((o) => o.attempt))}
    ), events as (
      insert into message_events (message_id, type, data)
      select id, 'sent', jsonb_build_object('provider', provider, 'provider_message_id', provider_message_id, 'attempt', attempt) from written
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('written')}
    select id, ${WEBHOOK_DELIVERY_IDS} from written`.execute(db);
  return { written: new Set(result.rows.map((row) => row.id)), webhookDeliveries: webhookDeliveryIds(result.rows) };
}

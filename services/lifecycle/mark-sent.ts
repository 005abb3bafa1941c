import { sql } from 'kysely';
import type { Db } from '../database';
import { type AttemptRecord, type Claim, insertTries } from './attempt-rows';

export interface SentOutcome extends Claim {
  readonly provider: string;
  readonly providerMessageId: string;
  readonly attempt: AttemptRecord;
}

/**
 * Mark sent: `sending` → `sent` for every send whose claim still holds, with the attempt's
 * tries and a `sent` event in the same statement. Returns the ids written; a send from a
 * stale claim changes nothing.
 */
export async function markSent(db: Db, outcomes: readonly SentOutcome[]): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  const result = await sql<{ id: string }>`
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
      returning m.id, v.provider, v.provider_message_id, v.attempt
    ), recorded as (${insertTries(outcomes.map((o) => o.attempt))}
    ), events as (
      insert into message_events (message_id, type, data)
      select id, 'sent', jsonb_build_object('provider', provider, 'provider_message_id', provider_message_id, 'attempt', attempt) from written
    )
    select id from written`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

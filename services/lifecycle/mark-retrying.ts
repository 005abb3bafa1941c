import { sql } from 'kysely';
import type { Db } from '../database';
import { type AttemptRecord, type Claim, insertTries } from './attempt-rows';

/**
 * Mark retrying: `sending` → `queued` to wait for the job's next try, with the attempt's
 * tries. No event: the message has not come to anything yet. False when the claim was stale.
 */
export async function markRetrying(db: Db, claim: Claim, error: string, attempt: AttemptRecord): Promise<boolean> {
  const result = await sql<{ id: string }>`
    with written as (
      update messages set status = 'queued', error_message = ${error}, lease_until = null, claim_token = null, updated_at = now()
       where id = ${claim.id} and claim_token = ${claim.token} and status = 'sending'
      returning id
    ), recorded as (${insertTries([attempt])})
    select id from written`.execute(db);
  return result.rows.length > 0;
}

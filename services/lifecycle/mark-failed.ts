import { sql } from 'kysely';
import type { Db } from '../database';
import { type AttemptRecord, type Claim, insertTries } from './attempt-rows';

export interface Failure {
  readonly error: string;
  /** True when a provider refused the message itself; false when the attempts ran out. */
  readonly permanent: boolean;
  /** The provider the failure is about, when one answered. */
  readonly provider: string | null;
}

/**
 * Mark failed: `sending` → `failed`, with the attempt's tries and a `failed` event in the
 * same statement. False when the claim was stale (nothing written).
 */
export async function markFailed(db: Db, claim: Claim, failure: Failure, attempt: AttemptRecord): Promise<boolean> {
  const data = JSON.stringify({ attempt: attempt.attempt, permanent: failure.permanent, provider: failure.provider });
  const result = await sql<{ id: string }>`
    with written as (
      update messages set status = 'failed', error_message = ${failure.error}, lease_until = null, claim_token = null, updated_at = now()
       where id = ${claim.id} and claim_token = ${claim.token} and status = 'sending'
      returning id
    ), recorded as (${insertTries([attempt])}
    ), events as (
      insert into message_events (message_id, type, data) select id, 'failed', ${data}::jsonb from written
    )
    select id from written`.execute(db);
  return result.rows.length > 0;
}

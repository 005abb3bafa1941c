import { sql } from 'kysely';
import type { Db } from '../database';
import { CLAIMABLE_STATUSES } from '../domain/message-statuses';
import { type MessageToSend, SEND_COLUMNS } from './send-columns';

export interface ClaimRequest {
  readonly id: string;
  /** A fresh token per claim; the outcome writes must present it. */
  readonly token: string;
  readonly leaseMs: number;
  readonly retryCount: number;
}

/**
 * Claim: takes messages for sending, `sending` with a lease and the claim's token. Succeeds
 * only for a claimable row or a `sending` row whose lease ran out (its worker died); a row
 * missing from the answer is someone else's or finished. One UPDATE for many claims.
 */
export async function claimMessages(db: Db, requests: readonly ClaimRequest[]): Promise<MessageToSend[]> {
  const first = requests[0];
  if (first === undefined) return [];
  const result = await sql<MessageToSend>`
    update messages as m
       set status = 'sending', lease_until = now() + ${`${first.leaseMs} milliseconds`}::interval,
           claim_token = v.token, retry_count = v.retry_count, updated_at = now()
      from unnest(${requests.map((r) => r.id)}::uuid[], ${requests.map((r) => r.token)}::uuid[], ${requests.map((r) => r.retryCount)}::int[])
        as v(id, token, retry_count)
     where m.id = v.id
       and (m.status in (${sql.join([...CLAIMABLE_STATUSES])}) or (m.status = 'sending' and m.lease_until < now()))
    returning ${sql.join(SEND_COLUMNS.map((column) => sql.ref(`m.${column}`)))}`.execute(db);
  return result.rows;
}

/** When a message is held by a live lease, the time the lease ends; undefined otherwise. */
export async function liveLeaseEnd(db: Db, id: string): Promise<Date | undefined> {
  const result = await sql<{ lease_until: Date }>`
    select lease_until from messages where id = ${id} and status = 'sending' and lease_until >= now()`.execute(db);
  return result.rows[0]?.lease_until;
}

import { sql } from 'kysely';
import type { Db } from '../database';
import type { Claim } from './attempt-rows';

/**
 * Renews the leases of sends still in flight, so that no sweeper or stalled job takes a row
 * whose worker is alive. Returns the ids whose claim still held; a missing id lost its claim.
 */
export async function renewLeases(db: Db, claims: readonly Claim[], leaseMs: number): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    update messages as m set lease_until = now() + ${`${leaseMs} milliseconds`}::interval
      from unnest(${claims.map((c) => c.id)}::uuid[], ${claims.map((c) => c.token)}::uuid[]) as v(id, token)
     where m.id = v.id and m.claim_token = v.token and m.status = 'sending'
    returning m.id`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

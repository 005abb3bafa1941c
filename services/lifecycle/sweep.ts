import { sql } from 'kysely';
import type { Db } from '../database';
import type { JobSpec } from './send-columns';

// Any constant shared by all replicas: only the holder sweeps.
const SWEEPER_LOCK_KEY = 0x48525357; // "HRSW"

/**
 * Where the last page of waiting rows ended; the next page starts after it. The time is in
 * microseconds since the epoch, Postgres's own precision: a JS Date keeps milliseconds, and
 * rows stored by one statement share their microseconds, so a cursor cut to milliseconds
 * would start the next page over at the same rows.
 */
export interface SweepCursor {
  readonly updatedAtUs: number;
  readonly id: string;
}

export interface WaitingRow extends JobSpec {
  readonly updated_at_us: number;
}

/**
 * Runs `work` inside a transaction holding the sweeper's advisory lock, so that one replica
 * sweeps at a time; undefined when another replica holds it.
 */
export async function withSweeperLock<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T | undefined> {
  return db.transaction().execute(async (trx) => {
    const locked = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${SWEEPER_LOCK_KEY}) as locked`.execute(trx);
    return locked.rows[0]?.locked === true ? work(trx) : undefined;
  });
}

/**
 * Enqueue (the sweeper's half): `pending` rows older than the grace period, whose job Redis
 * never took, become `queued` (or `scheduled` when their time is ahead) to be added again.
 */
export async function takePending(db: Db, olderThan: Date, limit: number): Promise<JobSpec[]> {
  const result = await sql<JobSpec>`
    update messages set status = case when send_at > now() then 'scheduled' else 'queued' end, updated_at = now()
     where id in (select id from messages where status = 'pending' and updated_at < ${olderThan} order by updated_at limit ${limit})
       and status = 'pending'
    returning id, kind, send_at, priority`.execute(db);
  return result.rows;
}

/** `sending` rows whose lease ran out: their worker died or lost touch. */
export async function findExpiredLeases(db: Db, limit: number): Promise<JobSpec[]> {
  const result = await sql<JobSpec>`
    select id, kind, send_at, priority from messages
     where status = 'sending' and lease_until < now() order by lease_until limit ${limit}`.execute(db);
  return result.rows;
}

/**
 * Reclaim: `sending` rows whose lease still has run out go back to `queued`, their claim
 * dropped, so a stale worker's outcome can no longer be written. Returns the rows reclaimed.
 */
export async function reclaimExpired(db: Db, ids: readonly string[]): Promise<JobSpec[]> {
  if (ids.length === 0) return [];
  const result = await sql<JobSpec>`
    update messages set status = 'queued', lease_until = null, claim_token = null, updated_at = now()
     where id = any(${[...ids]}::uuid[]) and status = 'sending' and lease_until < now()
    returning id, kind, send_at, priority`.execute(db);
  return result.rows;
}

/**
 * One page of rows that should have a job by now: `queued` ones, and `scheduled` ones whose
 * time has come, untouched for the grace period; keyset-paged by (updated_at, id) after
 * `cursor`, so that the sweep walks through all of them however many have a live job.
 */
export async function findWaiting(db: Db, olderThan: Date, cursor: SweepCursor | undefined, limit: number): Promise<WaitingRow[]> {
  const after =
    cursor === undefined ? sql`true` : sql`(updated_at, id) > (timestamptz 'epoch' + ${cursor.updatedAtUs}::bigint * interval '1 microsecond', ${cursor.id}::uuid)`;
  const result = await sql<WaitingRow>`
    select id, kind, send_at, priority, (extract(epoch from updated_at) * 1000000)::bigint as updated_at_us from messages
     where status in ('queued', 'scheduled') and (status = 'queued' or send_at <= now())
       and updated_at < ${olderThan} and ${after}
     order by updated_at, id limit ${limit}`.execute(db);
  return result.rows;
}

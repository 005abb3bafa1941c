import { sql } from 'kysely';
import type { Db } from '../database';

/** Mark pending: rows whose job Redis did not take go back to `pending`, for the sweeper to enqueue. */
export async function markPending(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update messages set status = 'pending', updated_at = now()
     where id = any(${[...ids]}::uuid[]) and status in ('queued', 'scheduled')`.execute(db);
}

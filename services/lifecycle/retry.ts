import { sql } from 'kysely';
import type { Db } from '../database';
import type { MessageStatus } from '../domain/message-statuses';
import type { JobSpec } from './send-columns';

export type RetryResult = { readonly retried: JobSpec } | { readonly retried: undefined; readonly status: MessageStatus | undefined };

/**
 * Retry: a `failed` message goes back to `queued` with a fresh attempt budget. The answer says
 * the status that refused it, or undefined when there is no such message.
 */
export async function retryMessage(db: Db, id: string): Promise<RetryResult> {
  const result = await sql<JobSpec & { was: MessageStatus; written: boolean }>`
    with written as (
      update messages set status = 'queued', retry_count = 0, error_message = null, updated_at = now()
       where id = ${id} and status = 'failed'
      returning id, kind, send_at, priority
    )
    select m.id, m.kind, m.send_at, m.priority, m.status as was, (w.id is not null) as written
      from messages m left join written w on w.id = m.id where m.id = ${id}`.execute(db);
  const row = result.rows[0];
  if (row === undefined) return { retried: undefined, status: undefined };
  // The outer select sees the row as it was before the update; `written` says whether it changed.
  if (!row.written) return { retried: undefined, status: row.was };
  return { retried: { id: row.id, kind: row.kind, send_at: null, priority: row.priority } };
}

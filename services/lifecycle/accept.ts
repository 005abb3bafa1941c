import { sql } from 'kysely';
import type { Db } from '../database';
import type { MessageRow, NewMessage } from '../messages/tables';

/** A message as a client asked for it; its first status is decided here. */
export type MessageDraft = Omit<NewMessage, 'status' | 'suppression_reason'> & {
  /** Why the message is kept but never sent (the contact form's honeypot). */
  readonly suppressionReason?: string;
};

/** The columns accepting needs back: the answer, the idempotency check and the job. */
const ACCEPTED_COLUMNS = ['id', 'kind', 'client_id', 'idempotency_key', 'request_hash', 'status', 'send_at', 'created_at', 'priority'] as const;
export type AcceptedMessage = Pick<MessageRow, (typeof ACCEPTED_COLUMNS)[number]>;

function firstStatus(draft: MessageDraft, now: Date): NewMessage['status'] {
  if (draft.suppressionReason !== undefined) return 'suppressed';
  const sendAt = draft.send_at === null || draft.send_at === undefined ? undefined : new Date(draft.send_at);
  return sendAt !== undefined && sendAt.getTime() > now.getTime() ? 'scheduled' : 'queued';
}

/**
 * Accept: messages enter the lifecycle `queued`, `scheduled` (send_at ahead) or `suppressed`,
 * in one multi-row INSERT … ON CONFLICT DO NOTHING; returns only the rows whose idempotency key
 * was new. The rows travel as one JSON parameter that Postgres expands (json_populate_recordset)
 * rather than as bind parameters per column: a 1000-row batch costs a third of the client CPU.
 * Accepting writes no event, except for a suppressed message, whose `suppressed` event is
 * written by the same statement.
 */
export async function acceptMessages(db: Db, drafts: readonly MessageDraft[], now = new Date()): Promise<AcceptedMessage[]> {
  if (drafts.length === 0) return [];
  const rows = drafts.map(({ suppressionReason, ...draft }) => ({
    // Present in every row: the column list is the first row's, and drafts of different kinds share a statement.
    template_id: null,
    template_version: null,
    contact_id: null,
    ...draft,
    status: firstStatus({ ...draft, suppressionReason }, now),
    suppression_reason: suppressionReason ?? null,
  }));
  const columns = Object.keys(rows[0] ?? {});
  const values = columns.map((column) =>
    // metadata arrives as JSON text; as a JSON string inside the payload it must be unwrapped once more.
    column === 'metadata' ? sql`(r.metadata #>> '{}')::jsonb` : sql.ref(`r.${column}`),
  );
  const returning = sql.join(ACCEPTED_COLUMNS.map((column) => sql.ref(column)));
  const insert = sql`
    insert into messages (${sql.join(columns.map((column) => sql.ref(column)))})
    select ${sql.join(values)} from json_populate_recordset(null::messages, ${JSON.stringify(rows)}::json) as r
    on conflict (client_id, idempotency_key) do nothing`;
  const anySuppressed = rows.some((row) => row.status === 'suppressed');
  // The common case keeps its one plain statement; the CTE is only for the rare suppressed row.
  const result = anySuppressed
    ? await sql<AcceptedMessage>`
        with inserted as (${insert} returning ${returning}, suppression_reason),
        events as (
          insert into message_events (message_id, type, data)
          select id, 'suppressed', jsonb_build_object('reason', suppression_reason) from inserted where status = 'suppressed'
        )
        select ${returning} from inserted`.execute(db)
    : await sql<AcceptedMessage>`${insert} returning ${returning}`.execute(db);
  return result.rows;
}

import { sql } from 'kysely';
import type { Db } from '../database';
import type { MessageRow, NewMessage } from '../messages/tables';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte } from './webhook-deliveries';

/** A file to store with its message. */
export interface AttachmentDraft {
  readonly filename: string;
  readonly content_type: string;
  readonly content_id: string | null;
  readonly content: Buffer;
  readonly size: number;
  readonly sha256: string;
}

/** A message as a client asked for it; its first status is decided here. */
export type MessageDraft = Omit<NewMessage, 'status' | 'suppression_reason' | 'attachment_count'> & {
  /** Why the message is kept but never sent (the contact form's honeypot). */
  readonly suppressionReason?: string;
  readonly attachments?: readonly AttachmentDraft[];
};

/** The columns accepting needs back: the answer, the idempotency check and the job. */
const ACCEPTED_COLUMNS = ['id', 'kind', 'client_id', 'idempotency_key', 'request_hash', 'status', 'send_at', 'created_at', 'priority', 'suppression_reason'] as const;
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
 * Accepting writes no event, except for a suppressed message, whose `suppressed` event (and its
 * webhook deliveries) is written by the same statement; `webhookDeliveries` are to be enqueued.
 */
export async function acceptMessages(
  db: Db,
  drafts: readonly MessageDraft[],
  now = new Date(),
): Promise<{ rows: AcceptedMessage[]; webhookDeliveries: string[] }> {
  if (drafts.length === 0) return { rows: [], webhookDeliveries: [] };
  // The statement's column list is its first row's: drafts naming different columns (a system
  // mail coalesced with a user's send) go in one statement per set of columns, or a later
  // draft's extra columns (cc, from_address, user_id, identity_id, …) would be dropped.
  const groups = groupByColumns(drafts);
  if (groups.length > 1) {
    const parts = [];
    for (const group of groups) parts.push(await acceptMessages(db, group, now));
    return { rows: parts.flatMap((part) => part.rows), webhookDeliveries: parts.flatMap((part) => part.webhookDeliveries) };
  }
  const rows = drafts.map(({ suppressionReason, attachments, ...draft }) => ({
    // Present in every row: the column list is the first row's, and drafts of different kinds share a statement.
    template_id: null,
    template_version: null,
    contact_id: null,
    ...draft,
    status: firstStatus({ ...draft, suppressionReason }, now),
    suppression_reason: suppressionReason ?? null,
    // Every row names the column, so drafts of every kind can share the statement.
    attachment_count: attachments?.length ?? 0,
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
  const files = attachmentRows(drafts);
  // The common case keeps its one plain statement; the CTEs are only for suppressed rows and files.
  if (!anySuppressed && files.length === 0) {
    return { rows: (await sql<AcceptedMessage>`${insert} returning ${returning}`.execute(db)).rows, webhookDeliveries: [] };
  }
  const events = sql`, events as (
      insert into message_events (message_id, type, data)
      select id, 'suppressed', jsonb_build_object('reason', suppression_reason) from inserted where status = 'suppressed'
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('inserted')}`;
  // Files travel base64 in one JSON parameter and are decoded by Postgres; only new messages get them.
  const attachments = sql`, attachments as (
    insert into message_attachments (message_id, position, filename, content_type, content_id, size, sha256, content)
    select i.id, f.position, f.filename, f.content_type, f.content_id, f.size, f.sha256, decode(f.content, 'base64')
      from inserted i
      join json_to_recordset(${JSON.stringify(files)}::json) as f(client_id text, idempotency_key text, position integer, filename text,
           content_type text, content_id text, size integer, sha256 text, content text)
        on f.client_id = i.client_id and f.idempotency_key = i.idempotency_key
  )`;
  const result = await sql<AcceptedMessage & { webhook_deliveries?: string[] }>`
    with inserted as (${insert} returning ${returning}, tags, metadata)
    ${anySuppressed ? events : sql``}
    ${files.length > 0 ? attachments : sql``}
    select ${returning}${anySuppressed ? sql`, ${WEBHOOK_DELIVERY_IDS}` : sql``} from inserted`.execute(db);
  const webhookDeliveries = result.rows[0]?.webhook_deliveries ?? [];
  return { rows: result.rows.map(({ webhook_deliveries: _ids, ...row }) => row), webhookDeliveries };
}

function groupByColumns(drafts: readonly MessageDraft[]): MessageDraft[][] {
  const groups = new Map<string, MessageDraft[]>();
  for (const draft of drafts) {
    // Drafts built by one code path list their keys in one order, so no sort is needed to match them.
    const columns = Object.keys(draft)
      .filter((key) => key !== 'suppressionReason' && key !== 'attachments')
      .join(',');
    const group = groups.get(columns);
    if (group === undefined) groups.set(columns, [draft]);
    else group.push(draft);
  }
  return [...groups.values()];
}

function attachmentRows(drafts: readonly MessageDraft[]) {
  return drafts.flatMap((draft) =>
    (draft.attachments ?? []).map((file, position) => ({
      client_id: draft.client_id,
      idempotency_key: draft.idempotency_key,
      position,
      filename: file.filename,
      content_type: file.content_type,
      content_id: file.content_id,
      size: file.size,
      sha256: file.sha256,
      content: file.content.toString('base64'),
    })),
  );
}

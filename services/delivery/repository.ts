import { sql } from 'kysely';
import { Coalescer } from '../platform/coalescer';
import type { Db } from '../platform/db';
import { type ContactToSend, type MessageKind, type NotificationToSend, SEND_COLUMNS } from '../platform/database';

export type MessageRow = { kind: 'contact'; row: ContactToSend } | { kind: 'notification'; row: NotificationToSend };

export interface AttemptRecord {
  readonly provider: string;
  readonly outcome: 'sent' | 'transient' | 'permanent' | 'skipped';
  readonly error?: string;
  readonly durationMs: number;
}

/** Statuses a worker may take a message from. */
export const CLAIMABLE = ['pending', 'queued', 'scheduled'] as const;

export function tableOf(kind: MessageKind): 'contact_messages' | 'notifications' {
  return kind === 'contact' ? 'contact_messages' : 'notifications';
}

/** The provider tries of one attempt, written by the same statement that records its outcome. */
export interface AttemptBatch {
  readonly attempt: number;
  readonly tries: readonly AttemptRecord[];
}

/**
 * A `with` clause inserting an attempt's delivery_attempts rows, to prefix the status update:
 * one statement and one commit per delivery instead of two (Postgres runs a data-modifying
 * CTE to completion whether or not the main statement reads it).
 */
function recording(kind: MessageKind, id: string, attempts: AttemptBatch | undefined) {
  if (attempts === undefined || attempts.tries.length === 0) return sql``;
  const rows = attempts.tries.map(
    (t) => sql`(${kind}, ${id}::uuid, ${attempts.attempt}::int, ${t.provider}, ${t.outcome}, ${t.error ?? null}, ${Math.round(t.durationMs)}::int)`,
  );
  return sql`with recorded as (
    insert into delivery_attempts (message_kind, message_id, attempt, provider, outcome, error, duration_ms)
    values ${sql.join(rows)})`;
}

interface ClaimRequest {
  readonly kind: MessageKind;
  readonly id: string;
  readonly leaseMs: number;
  readonly retryCount: number;
}

interface SentRequest {
  readonly kind: MessageKind;
  readonly id: string;
  readonly provider: string;
  readonly providerMessageId: string;
  readonly attempts?: AttemptBatch;
}

/** Items grouped by a key, each with its index in the input. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, { item: T; index: number }[]> {
  const groups = new Map<string, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const group = groups.get(key(item)) ?? [];
    group.push({ item, index });
    groups.set(key(item), group);
  });
  return groups;
}

/**
 * Claims and sent-marks of concurrent jobs are written together (group commit): one UPDATE for
 * the claims or the sends that arrive while earlier ones are in flight, rather than one each.
 * One statement of each kind in flight at a time: the next batch gathers everything that
 * arrived meanwhile, so batches are larger and Postgres does less work per message.
 */
const GROUP_COMMIT = { maxInFlight: 1, maxBatch: 100 } as const;

/** The lifecycle statements shared by both message tables (DESIGN section 4). */
export class DeliveryRepository {
  readonly #claims = new Coalescer<ClaimRequest, MessageRow | undefined>((requests) => this.#claimMany(requests), GROUP_COMMIT);
  readonly #sent = new Coalescer<SentRequest, undefined>((requests) => this.#markSentMany(requests), GROUP_COMMIT);

  constructor(private readonly db: Db) {}

  /**
   * Takes a message for sending: one UPDATE that only succeeds for a claimable row
   * or a `sending` row whose lease ran out (its worker died). No row: someone else
   * has it, or it is finished.
   */
  async claim(kind: MessageKind, id: string, leaseMs: number, retryCount: number): Promise<MessageRow | undefined> {
    return this.#claims.submit({ kind, id, leaseMs, retryCount });
  }

  /** Claims for concurrent jobs, one UPDATE per kind; a duplicate id in a batch gets no row. */
  async #claimMany(requests: readonly ClaimRequest[]): Promise<(MessageRow | undefined)[]> {
    const results = new Array<MessageRow | undefined>(requests.length).fill(undefined);
    for (const [, group] of groupBy(requests, (r) => `${r.kind}:${r.leaseMs}`)) {
      const first = group[0]?.item;
      if (first === undefined) continue;
      const { kind, leaseMs } = first;
      const firstById = new Map<string, number>();
      for (const { item, index } of group) if (!firstById.has(item.id)) firstById.set(item.id, index);
      const ids = [...firstById.keys()];
      const retryCounts = ids.map((id) => requests[firstById.get(id) ?? 0]?.retryCount ?? 0);
      const result = await sql<ContactToSend & NotificationToSend>`
        update ${sql.table(tableOf(kind))} as m
           set status = 'sending', lease_until = now() + ${`${leaseMs} milliseconds`}::interval,
               retry_count = v.retry_count, updated_at = now()
          from unnest(${ids}::uuid[], ${retryCounts}::int[]) as v(id, retry_count)
         where m.id = v.id
           and (m.status in ('pending', 'queued', 'scheduled') or (m.status = 'sending' and m.lease_until < now()))
        returning ${sql.join(SEND_COLUMNS[kind].map((column) => sql.ref(`m.${column}`)))}`.execute(this.db);
      for (const row of result.rows) {
        const index = firstById.get(row.id);
        if (index !== undefined) results[index] = kind === 'contact' ? { kind, row } : { kind, row };
      }
    }
    return results;
  }

  /** When a message is held by a live lease, the time the lease ends; undefined otherwise. */
  async leaseEnd(kind: MessageKind, id: string): Promise<Date | undefined> {
    const result = await sql<{ lease_until: Date }>`
      select lease_until from ${sql.table(tableOf(kind))}
       where id = ${id} and status = 'sending' and lease_until >= now()`.execute(this.db);
    return result.rows[0]?.lease_until;
  }

  /** Marks a message sent and records the attempt's tries; concurrent calls share one statement. */
  async markSent(kind: MessageKind, id: string, provider: string, providerMessageId: string, attempts?: AttemptBatch): Promise<void> {
    await this.#sent.submit({ kind, id, provider, providerMessageId, attempts });
  }

  async #markSentMany(requests: readonly SentRequest[]): Promise<undefined[]> {
    for (const [, group] of groupBy(requests, (r) => r.kind)) {
      const sent = group.map(({ item }) => item);
      const kind = sent[0]?.kind;
      if (kind === undefined) continue;
      const tries = sent.flatMap((r) => (r.attempts?.tries ?? []).map((t) => ({ ...t, id: r.id, attempt: r.attempts?.attempt ?? 0 })));
      await sql`
        with v as (
          select * from unnest(${sent.map((r) => r.id)}::uuid[], ${sent.map((r) => r.provider)}::text[], ${sent.map((r) => r.providerMessageId)}::text[])
            as v(id, provider, provider_message_id)
        ), recorded as (
          insert into delivery_attempts (message_kind, message_id, attempt, provider, outcome, error, duration_ms)
          select ${kind}, a.* from unnest(
            ${tries.map((t) => t.id)}::uuid[], ${tries.map((t) => t.attempt)}::int[], ${tries.map((t) => t.provider)}::text[],
            ${tries.map((t) => t.outcome)}::text[], ${tries.map((t) => t.error ?? null)}::text[], ${tries.map((t) => Math.round(t.durationMs))}::int[])
            as a(message_id, attempt, provider, outcome, error, duration_ms)
        )
        update ${sql.table(tableOf(kind))} as m
           set status = 'sent', sent_at = now(), provider = v.provider, provider_message_id = v.provider_message_id,
               error_message = null, lease_until = null, updated_at = now()
          from v
         where m.id = v.id and m.status = 'sending'`.execute(this.db);
    }
    return requests.map(() => undefined);
  }

  /** Back to `queued` to wait for BullMQ's next try. */
  async markRetrying(kind: MessageKind, id: string, error: string, attempts?: AttemptBatch): Promise<void> {
    await sql`${recording(kind, id, attempts)}
      update ${sql.table(tableOf(kind))}
         set status = 'queued', error_message = ${error}, lease_until = null, updated_at = now()
       where id = ${id} and status = 'sending'`.execute(this.db);
  }

  async markFailed(kind: MessageKind, id: string, error: string, attempts?: AttemptBatch): Promise<void> {
    await sql`${recording(kind, id, attempts)}
      update ${sql.table(tableOf(kind))}
         set status = 'failed', error_message = ${error}, lease_until = null, updated_at = now()
       where id = ${id} and status = 'sending'`.execute(this.db);
  }

  async recordAttempts(kind: MessageKind, id: string, attempt: number, tries: readonly AttemptRecord[]): Promise<void> {
    if (tries.length === 0) return;
    await this.db
      .insertInto('delivery_attempts')
      .values(
        tries.map((t) => ({
          message_kind: kind,
          message_id: id,
          attempt,
          provider: t.provider,
          outcome: t.outcome,
          error: t.error ?? null,
          duration_ms: Math.round(t.durationMs),
        })),
      )
      .execute();
  }
}

import { sql } from 'kysely';
import type { Db } from '../database';
import { Coalescer } from '../platform/coalescer';
import type { WebhookDeliveryRow, WebhookEndpointRow } from './tables';

/** A delivery with what sending it needs from its endpoint. */
export interface DeliveryToSend {
  readonly id: string;
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly event_at: Date;
  readonly attempt: number;
  readonly status: WebhookDeliveryRow['status'];
  readonly endpoint: WebhookEndpointRow;
}

/** What one try came to, as the worker decided. */
export interface TryRecord {
  readonly deliveryId: string;
  readonly endpointId: string;
  /** The try this is: the row's attempt before it. */
  readonly attempt: number;
  readonly responseCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly outcome: 'delivered' | 'retry' | 'failed';
  /** When the retry is due (outcome `retry`). */
  readonly nextAttemptAt: Date | null;
  /** Disable the endpoint now with this reason (a 410). */
  readonly disableReason: string | null;
  /** Whether the endpoint had been failing before: a success clears it. */
  readonly endpointWasFailing: boolean;
  /** An endpoint failing longer than this is disabled. */
  readonly disableAfterMs: number;
}

/** Loads and success records of concurrent tries go to Postgres together (group commit, as in the delivery ledger). */
const GROUP_COMMIT = { maxInFlight: 1, maxBatch: 200 } as const;

/** The webhook tables' reads and writes. */
export class WebhookStore {
  readonly #loads = new Coalescer<string, DeliveryToSend | undefined>(async (ids) => {
    const rows = await this.#load(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id));
  }, GROUP_COMMIT);
  readonly #delivered = new Coalescer<TryRecord, boolean>(async (tries) => {
    const written = await this.#recordDelivered(tries);
    return tries.map((t) => written.has(t.deliveryId));
  }, GROUP_COMMIT);

  constructor(private readonly db: Db) {}

  deliveryToSend(id: string): Promise<DeliveryToSend | undefined> {
    return this.#loads.submit(id);
  }

  async #load(ids: readonly string[]): Promise<DeliveryToSend[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.id', 'd.endpoint_id', 'd.event_id', 'd.type', 'd.payload', 'd.event_at', 'd.attempt', 'd.status'])
      .select(sql<WebhookEndpointRow>`to_jsonb(e.*)`.as('endpoint'))
      .where('d.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map((row) => this.#withDates(row));
  }

  #withDates(row: Omit<DeliveryToSend, 'endpoint'> & { endpoint: WebhookEndpointRow }): DeliveryToSend {
    const endpoint = row.endpoint;
    const asDate = (value: unknown) => (value === null ? null : new Date(value as string));
    return {
      ...row,
      endpoint: {
        ...endpoint,
        previous_secret_expires_at: asDate(endpoint.previous_secret_expires_at),
        failing_since: asDate(endpoint.failing_since),
        created_at: new Date(endpoint.created_at),
        updated_at: new Date(endpoint.updated_at),
      },
    };
  }

  /**
   * Records one try in one statement: the delivery's new state, its log row, and the endpoint's
   * failing streak (disabled at a 410 or after failing for too long). Returns false when the try
   * was stale (the row had moved on), and then writes nothing.
   */
  async recordTry(t: TryRecord): Promise<{ written: boolean; endpointDisabled: boolean }> {
    // The common case, a success at an endpoint that was not failing, touches no endpoint row: batched.
    if (t.outcome === 'delivered' && !t.endpointWasFailing) return { written: await this.#delivered.submit(t), endpointDisabled: false };
    const status = t.outcome === 'retry' ? 'pending' : t.outcome;
    const ok = t.outcome === 'delivered';
    const endpointUpdate = ok
      ? t.endpointWasFailing
        ? sql`, ep as (update webhook_endpoints set failing_since = null, updated_at = now() where id = ${t.endpointId} and failing_since is not null returning enabled)`
        : sql``
      : sql`, ep as (
          update webhook_endpoints
             set failing_since = coalesce(failing_since, now()),
                 enabled = enabled and ${t.disableReason}::text is null and coalesce(failing_since, now()) > now() - ${t.disableAfterMs} * interval '1 millisecond',
                 disabled_reason = case
                   when not enabled then disabled_reason
                   when ${t.disableReason}::text is not null then ${t.disableReason}::text
                   when coalesce(failing_since, now()) <= now() - ${t.disableAfterMs} * interval '1 millisecond'
                     then 'failing since ' || to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                   else disabled_reason end,
                 updated_at = now()
           where id = ${t.endpointId} and exists (select 1 from d)
          returning enabled, (select e.enabled from webhook_endpoints e where e.id = ${t.endpointId}) as was_enabled)`;
    const disabled = ok ? sql`false` : sql`coalesce((select was_enabled and not enabled from ep), false)`;
    const result = await sql<{ written: boolean; endpoint_disabled: boolean }>`
      with d as (
        update webhook_deliveries
           set attempt = attempt + 1, status = ${status}, response_code = ${t.responseCode}, duration_ms = ${t.durationMs},
               error = ${t.error}, next_attempt_at = ${t.nextAttemptAt},
               delivered_at = case when ${ok} then now() else delivered_at end, updated_at = now()
         where id = ${t.deliveryId} and attempt = ${t.attempt} and status = 'pending'
        returning id, attempt
      ), a as (
        insert into webhook_attempts (delivery_id, attempt, response_code, duration_ms, error)
        select id, attempt, ${t.responseCode}, ${t.durationMs}, ${t.error} from d
      )${endpointUpdate}
      select exists (select 1 from d) as written, ${disabled} as endpoint_disabled`.execute(this.db);
    const row = result.rows[0];
    return { written: row?.written === true, endpointDisabled: row?.endpoint_disabled === true };
  }

  async #recordDelivered(tries: readonly TryRecord[]): Promise<Set<string>> {
    const result = await sql<{ id: string }>`
      with v as (
        select * from unnest(${tries.map((t) => t.deliveryId)}::uuid[], ${tries.map((t) => t.attempt)}::int[],
                             ${tries.map((t) => t.responseCode)}::int[], ${tries.map((t) => t.durationMs)}::int[]) as v(id, attempt, code, duration)
      ), d as (
        update webhook_deliveries w
           set attempt = w.attempt + 1, status = 'delivered', response_code = v.code, duration_ms = v.duration, error = null,
               next_attempt_at = null, delivered_at = now(), updated_at = now()
          from v
         where w.id = v.id and w.attempt = v.attempt and w.status = 'pending'
        returning w.id, w.attempt, v.code, v.duration
      ), a as (
        insert into webhook_attempts (delivery_id, attempt, response_code, duration_ms) select id, attempt, code, duration from d
      )
      select id from d`.execute(this.db);
    return new Set(result.rows.map((row) => row.id));
  }

  /** Gives a delivery up without a try (its endpoint was disabled or deleted meanwhile). */
  async giveUp(deliveryId: string, attempt: number, reason: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', error: reason, next_attempt_at: null, updated_at: new Date() })
      .where('id', '=', deliveryId)
      .where('attempt', '=', attempt)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Pending deliveries due for longer than the grace period: their job may be gone. */
  async overdue(olderThan: Date, limit: number): Promise<{ id: string; attempt: number }[]> {
    return this.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'attempt'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<', olderThan)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }
}

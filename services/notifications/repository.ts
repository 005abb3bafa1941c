import { sql } from 'kysely';
import type { Db } from '../platform/db';
import type { DeliveryAttemptRow, NewNotification, NotificationRow } from '../platform/database';
import type { ListFilter } from '../contact/repository';

/** The columns accepting needs back: the answer, the idempotency check and the job. */
const ACCEPTED_COLUMNS = ['id', 'client_id', 'idempotency_key', 'request_hash', 'status', 'send_at', 'created_at', 'priority'] as const;
export type AcceptedNotification = Pick<NotificationRow, (typeof ACCEPTED_COLUMNS)[number]>;

/** Kysely access to notifications. */
export class NotificationRepository {
  constructor(private readonly db: Db) {}

  /**
   * One multi-row statement; returns only the rows whose idempotency key was new. The rows
   * travel as one JSON parameter that Postgres expands (json_populate_recordset) rather than
   * as 19 bind parameters per row: a 1000-row batch costs a third of the client CPU.
   */
  async insertMany(rows: readonly NewNotification[]): Promise<AcceptedNotification[]> {
    const first = rows[0];
    if (first === undefined) return [];
    const columns = Object.keys(first);
    const values = columns.map((column) =>
      // metadata arrives as JSON text; as a JSON string inside the payload it must be unwrapped once more.
      column === 'metadata' ? sql`(r.metadata #>> '{}')::jsonb` : sql.ref(`r.${column}`),
    );
    const result = await sql<AcceptedNotification>`
      insert into notifications (${sql.join(columns.map((column) => sql.ref(column)))})
      select ${sql.join(values)} from json_populate_recordset(null::notifications, ${JSON.stringify(rows)}::json) as r
      on conflict (client_id, idempotency_key) do nothing
      returning ${sql.join(ACCEPTED_COLUMNS.map((column) => sql.ref(column)))}`.execute(this.db);
    return result.rows;
  }

  async findByKeys(clientId: string, keys: readonly string[]): Promise<AcceptedNotification[]> {
    if (keys.length === 0) return [];
    return this.db
      .selectFrom('notifications')
      .select(ACCEPTED_COLUMNS)
      .where('client_id', '=', clientId)
      .where('idempotency_key', 'in', [...keys])
      .execute();
  }

  async findById(id: string, clientId?: string): Promise<NotificationRow | undefined> {
    let query = this.db.selectFrom('notifications').selectAll().where('id', '=', id);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    return query.executeTakeFirst();
  }

  async attempts(id: string): Promise<DeliveryAttemptRow[]> {
    return this.db.selectFrom('delivery_attempts').selectAll().where('message_id', '=', id).orderBy('at').orderBy('id').execute();
  }

  async list(filter: ListFilter): Promise<{ count: number; rows: NotificationRow[] }> {
    let query = this.db.selectFrom('notifications');
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const [counted, rows] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
    ]);
    return { count: counted.count, rows };
  }
}

import type { Db } from '../platform/db';
import type { DeliveryAttemptRow, NewNotification, NotificationRow } from '../platform/database';
import type { ListFilter } from '../contact/repository';

/** Kysely access to notifications. */
export class NotificationRepository {
  constructor(private readonly db: Db) {}

  /** One multi-row statement; returns only the rows whose idempotency key was new. */
  async insertMany(rows: readonly NewNotification[]): Promise<NotificationRow[]> {
    if (rows.length === 0) return [];
    return this.db
      .insertInto('notifications')
      .values([...rows])
      .onConflict((oc) => oc.columns(['client_id', 'idempotency_key']).doNothing())
      .returningAll()
      .execute();
  }

  async findByKeys(clientId: string, keys: readonly string[]): Promise<NotificationRow[]> {
    if (keys.length === 0) return [];
    return this.db.selectFrom('notifications').selectAll().where('client_id', '=', clientId).where('idempotency_key', 'in', [...keys]).execute();
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

import type { Db } from '../platform/db';
import type { ContactMessageRow, MessageStatus, NewContactMessage } from '../platform/database';

export interface ListFilter {
  readonly clientId?: string;
  readonly status?: MessageStatus;
  readonly limit: number;
  readonly offset: number;
}

/** Kysely access to contact_messages. */
export class ContactRepository {
  constructor(private readonly db: Db) {}

  /** One statement: the row, or undefined when the idempotency key was already used. */
  async insertOnce(row: NewContactMessage): Promise<ContactMessageRow | undefined> {
    return this.db
      .insertInto('contact_messages')
      .values(row)
      .onConflict((oc) => oc.columns(['client_id', 'idempotency_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  async findByKey(clientId: string, key: string): Promise<ContactMessageRow | undefined> {
    return this.db.selectFrom('contact_messages').selectAll().where('client_id', '=', clientId).where('idempotency_key', '=', key).executeTakeFirst();
  }

  async findById(id: string, clientId?: string): Promise<ContactMessageRow | undefined> {
    let query = this.db.selectFrom('contact_messages').selectAll().where('id', '=', id);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    return query.executeTakeFirst();
  }

  async list(filter: ListFilter): Promise<{ count: number; rows: ContactMessageRow[] }> {
    let query = this.db.selectFrom('contact_messages');
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const [counted, rows] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
    ]);
    return { count: counted.count, rows };
  }
}

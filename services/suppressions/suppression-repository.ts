import { sql } from 'kysely';
import type { Db } from '../database';
import type { SuppressionReason, SuppressionRow } from './tables';

const isUnexpired = sql<boolean>`(expires_at is null or expires_at > now())`;

/** The suppressions table: what the API lists, adds and removes. */
export class SuppressionRepository {
  constructor(private readonly db: Db) {}

  /** The unexpired entries that hold for the client: its own and those for every client. */
  async list(clientId: string, filter: { reason?: SuppressionReason; address?: string; limit: number; offset: number }): Promise<{ count: number; rows: SuppressionRow[] }> {
    let query = this.db
      .selectFrom('suppressions')
      .where((eb) => eb.or([eb('client_id', '=', clientId), eb('client_id', 'is', null)]))
      .where(isUnexpired);
    if (filter.reason !== undefined) query = query.where('reason', '=', filter.reason);
    if (filter.address !== undefined) query = query.where('address', '=', filter.address);
    const [rows, total] = await Promise.all([
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { count: Number(total.count), rows };
  }

  /** Adds or replaces the client's entry for the address. */
  async upsert(clientId: string, address: string, reason: SuppressionReason, expiresAt: Date | null): Promise<SuppressionRow> {
    return this.db
      .insertInto('suppressions')
      .values({ client_id: clientId, address, reason, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['client_id', 'address']).doUpdateSet({ reason, expires_at: expiresAt, message_id: null, created_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Removes the client's entry for the address (and, for an admin, the one for every client); the count removed. */
  async remove(clientId: string, address: string, includeGlobal: boolean): Promise<number> {
    const result = await this.db
      .deleteFrom('suppressions')
      .where('address', '=', address)
      .where((eb) => (includeGlobal ? eb.or([eb('client_id', '=', clientId), eb('client_id', 'is', null)]) : eb('client_id', '=', clientId)))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

import type { Db } from '../database';
import type { ApiKeyRow } from './tables';
import type { Scope } from './scopes';

/** Storage of API keys: only the SHA-256 of a key is ever written. */
export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  async insert(key: { name: string; prefix: string; hash: string; scopes: readonly Scope[] }): Promise<ApiKeyRow> {
    return this.db
      .insertInto('api_keys')
      .values({ name: key.name, prefix: key.prefix, hash: key.hash, scopes: [...key.scopes] })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async findActiveByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
  }

  async list(): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute();
  }

  /** Marks a key revoked; false when no active key has that id. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async touch(id: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', id).execute();
  }
}

import { sql } from 'kysely';
import type { Db } from '../database';
import type { CheckResult, IdentityRow, SenderIdentitiesTable } from './tables';

const UNIQUE_VIOLATION = '23505';

/** The owner of identities: whose account email is the first identity, and whose name is the fallback display name. */
export interface IdentityOwner {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly verified: boolean;
}

/** Columns of an identity a service may change. */
export type IdentityChanges = Partial<
  Pick<SenderIdentitiesTable, 'address' | 'display_name' | 'smtp_host' | 'smtp_port' | 'smtp_security' | 'smtp_username' | 'smtp_password' | 'key_id' | 'verify_code_hash'> & {
    verified_at: Date | null;
    verify_expires_at: Date | null;
  }
>;

/** What deciding a message's From needs of each of a user's identities. */
export interface SendableIdentity {
  readonly id: string;
  readonly address: string;
  readonly display_name: string | null;
  readonly is_default: boolean;
  readonly verified_at: Date | null;
  readonly has_smtp: boolean;
}

/** Reads and writes of `sender_identities`. */
export class IdentityRepository {
  constructor(private readonly db: Db) {}

  async owner(userId: string): Promise<IdentityOwner | undefined> {
    const row = await this.db.selectFrom('users').select(['id', 'email', 'display_name', 'username', 'email_verified_at']).where('id', '=', userId).executeTakeFirst();
    return row === undefined ? undefined : { id: row.id, email: row.email, name: row.display_name ?? row.username, verified: row.email_verified_at !== null };
  }

  listOf(userId: string): Promise<IdentityRow[]> {
    return this.db.selectFrom('sender_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  }

  /** One query per user send: the identities a From may name. */
  sendable(userId: string): Promise<SendableIdentity[]> {
    return this.db
      .selectFrom('sender_identities')
      .select(['id', 'address', 'display_name', 'is_default', 'verified_at', sql<boolean>`smtp_host is not null`.as('has_smtp')])
      .where('user_id', '=', userId)
      .execute();
  }

  find(userId: string, id: string): Promise<IdentityRow | undefined> {
    return this.db.selectFrom('sender_identities').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  }

  findById(id: string): Promise<IdentityRow | undefined> {
    return this.db.selectFrom('sender_identities').selectAll().where('id', '=', id).executeTakeFirst();
  }

  countOf(userId: string): Promise<number> {
    return this.db
      .selectFrom('sender_identities')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.count));
  }

  /** Inserts an identity (the default one, when `is_default`, in the same transaction); `taken` when the user has the address already. */
  async create(row: { id: string; user_id: string; address: string; display_name: string | null; is_default: boolean } & IdentityChanges, now: Date): Promise<IdentityRow | 'taken' | 'busy'> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        if (row.is_default) await tx.updateTable('sender_identities').set({ is_default: false }).where('user_id', '=', row.user_id).where('is_default', '=', true).execute();
        return tx
          .insertInto('sender_identities')
          .values({ ...row, created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
      });
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code === UNIQUE_VIOLATION) return constraint === 'sender_identities_default' ? 'busy' : 'taken';
      throw error;
    }
  }

  /** Applies changes; making it the default takes the flag from the user's other identity in the same transaction. */
  /** `taken`: the user has the new address already; `busy`: another request changed the default at the same time. */
  async update(userId: string, id: string, changes: IdentityChanges & { is_default?: true }, now: Date): Promise<IdentityRow | 'taken' | 'busy' | undefined> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        if (changes.is_default === true) {
          await tx.updateTable('sender_identities').set({ is_default: false }).where('user_id', '=', userId).where('is_default', '=', true).where('id', '!=', id).execute();
        }
        return tx.updateTable('sender_identities').set({ ...changes, updated_at: now }).where('user_id', '=', userId).where('id', '=', id).returningAll().executeTakeFirst();
      });
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code === UNIQUE_VIOLATION) return constraint === 'sender_identities_default' ? 'busy' : 'taken';
      throw error;
    }
  }

  /** Deletes an identity; when it was the default, the account's own address becomes the default again. */
  async delete(userId: string, id: string, accountEmail: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const gone = await tx.deleteFrom('sender_identities').where('user_id', '=', userId).where('id', '=', id).returning('is_default').executeTakeFirst();
      if (gone?.is_default === true) {
        await tx
          .updateTable('sender_identities')
          .set({ is_default: true })
          .where('user_id', '=', userId)
          .where(sql<string>`lower(address)`, '=', accountEmail.toLowerCase())
          .execute();
      }
      return gone !== undefined;
    });
  }

  /** Uses a live code: marks the identity verified. Undefined when the code is not the identity's live one. */
  consumeCode(userId: string, id: string, codeHash: string, now: Date): Promise<IdentityRow | undefined> {
    return this.db
      .updateTable('sender_identities')
      .set((eb) => ({ verified_at: eb.fn.coalesce('verified_at', eb.val(now)), verify_code_hash: null, verify_expires_at: null, updated_at: now }))
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('verify_code_hash', '=', codeHash)
      .where('verify_expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }

  /** Records a connection check; a successful one verifies the identity. */
  recordCheck(id: string, result: CheckResult, now: Date): Promise<IdentityRow | undefined> {
    return this.db
      .updateTable('sender_identities')
      .set((eb) => ({
        last_check_at: now,
        last_check_result: JSON.stringify(result),
        ...(result.ok ? { verified_at: eb.fn.coalesce('verified_at', eb.val(now)) } : {}),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }
}

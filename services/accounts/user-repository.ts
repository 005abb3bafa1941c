import { sql } from 'kysely';
import type { Db } from '../database';
import type { UserRole, UserRow } from './tables';

/** The fields of a new user. */
export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly passwordHash: string;
  readonly role: UserRole;
  readonly verified: boolean;
}

export interface UserChanges {
  readonly display_name?: string | null;
  readonly role?: UserRole;
  readonly email_verified_at?: Date | null;
  readonly disabled_at?: Date | null;
  readonly password_hash?: string;
  readonly password_changed_at?: Date;
}

/** What the authenticator needs to know of a user on every request. */
export type UserStanding = Pick<UserRow, 'id' | 'username' | 'email' | 'display_name' | 'role' | 'email_verified_at' | 'disabled_at' | 'password_changed_at'>;

const UNIQUE_VIOLATION = '23505';

/** Reads and writes of `users`. */
export class UserRepository {
  constructor(private readonly db: Db) {}

  /** Inserts a user; `taken` names the column when the username or email is already used. */
  async create(user: NewUser, now: Date): Promise<{ row: UserRow } | { taken: 'username' | 'email' }> {
    try {
      // The account email is the user's first sender identity, its default (accounts.md).
      const row = await this.db.transaction().execute(async (tx) => {
        const created = await tx
          .insertInto('users')
          .values({
            username: user.username,
            email: user.email,
            display_name: user.displayName,
            password_hash: user.passwordHash,
            role: user.role,
            email_verified_at: user.verified ? now : null,
            password_changed_at: now,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await tx.insertInto('sender_identities').values({ user_id: created.id, address: created.email, is_default: true, created_at: now, updated_at: now }).execute();
        return created;
      });
      return { row };
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code !== UNIQUE_VIOLATION) throw error;
      return { taken: constraint === 'users_email' ? 'email' : 'username' };
    }
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** By username or email, either case. */
  findByLogin(login: string): Promise<UserRow | undefined> {
    const lower = login.toLowerCase();
    const column = lower.includes('@') ? 'email' : 'username';
    return this.db
      .selectFrom('users')
      .selectAll()
      .where(sql<string>`lower(${sql.ref(column)})`, '=', lower)
      .executeTakeFirst();
  }

  standing(id: string): Promise<UserStanding | undefined> {
    return this.db
      .selectFrom('users')
      .select(['id', 'username', 'email', 'display_name', 'role', 'email_verified_at', 'disabled_at', 'password_changed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async update(id: string, changes: UserChanges, now: Date): Promise<UserRow | undefined> {
    return this.db
      .updateTable('users')
      .set({ ...changes, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async touchLogin(id: string, now: Date): Promise<void> {
    await this.db.updateTable('users').set({ last_login_at: now }).where('id', '=', id).execute();
  }

  async list(limit: number, offset: number): Promise<{ count: number; rows: UserRow[] }> {
    const [counted, rows] = await Promise.all([
      this.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
      this.db.selectFrom('users').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset).execute(),
    ]);
    return { count: Number(counted.count), rows };
  }

  /** Messages the user sent in the last 30 days (the profile's counter). */
  async sentInLast30Days(userId: string, now: Date): Promise<number> {
    const since = new Date(now.getTime() - 30 * 24 * 3600 * 1000);
    const row = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', userId)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

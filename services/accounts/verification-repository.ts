import type { Db } from '../database';

/** Email verification codes, stored as SHA-256; one use each. */
export class VerificationRepository {
  constructor(private readonly db: Db) {}

  async create(verification: { tokenHash: string; userId: string; email: string; expiresAt: Date }, now: Date): Promise<void> {
    await this.db
      .insertInto('email_verifications')
      .values({ token_hash: verification.tokenHash, user_id: verification.userId, email: verification.email, expires_at: verification.expiresAt, created_at: now })
      .execute();
  }

  /**
   * Uses a code and marks its user verified, in one statement, when the code is live and the
   * address it was sent to is still the user's. Returns the user's id, or undefined.
   */
  async consume(tokenHash: string, now: Date): Promise<string | undefined> {
    const row = await this.db
      .with('used', (db) =>
        db
          .updateTable('email_verifications')
          .set({ used_at: now })
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .where('expires_at', '>', now)
          .returning(['user_id', 'email']),
      )
      .updateTable('users')
      .from('used')
      .set((eb) => ({ email_verified_at: eb.fn.coalesce('users.email_verified_at', eb.val(now)), updated_at: now }))
      .whereRef('users.id', '=', 'used.user_id')
      .whereRef('users.email', '=', 'used.email')
      .returning('users.id')
      .executeTakeFirst();
    return row?.id;
  }
}

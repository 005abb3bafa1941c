import type { Db } from '../database';
import type { UserSessionRow } from './tables';

export interface NewSession {
  readonly userId: string;
  readonly familyId: string;
  readonly tokenHash: string;
  readonly expiresAt: Date;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** What presenting a refresh token found. */
export type Redemption =
  /** The token was live and is now used up. */
  | { readonly outcome: 'redeemed'; readonly session: UserSessionRow }
  /** The token was used before: someone holds a copy. Its family is now revoked. */
  | { readonly outcome: 'reused'; readonly session: UserSessionRow }
  /** Unknown, expired or revoked. */
  | { readonly outcome: 'invalid' };

/** Refresh tokens (user_sessions), stored as SHA-256. */
export class SessionRepository {
  constructor(private readonly db: Db) {}

  async create(session: NewSession, now: Date): Promise<void> {
    await this.db
      .insertInto('user_sessions')
      .values({
        user_id: session.userId,
        family_id: session.familyId,
        token_hash: session.tokenHash,
        created_at: now,
        expires_at: session.expiresAt,
        user_agent: session.userAgent,
        ip: session.ip,
      })
      .execute();
  }

  /**
   * Uses up a refresh token in one statement, so two requests racing with the same token
   * cannot both win: the loser sees it used and revokes the family.
   */
  async redeem(tokenHash: string, now: Date): Promise<Redemption> {
    const used = await this.db
      .updateTable('user_sessions')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (used !== undefined) return { outcome: 'redeemed', session: used };
    const seen = await this.db.selectFrom('user_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (seen === undefined || seen.used_at === null) return { outcome: 'invalid' };
    await this.revokeFamily(seen.family_id, now);
    return { outcome: 'reused', session: seen };
  }

  /** The live session of a token, without using it. */
  findLive(tokenHash: string, now: Date): Promise<UserSessionRow | undefined> {
    return this.db
      .selectFrom('user_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.db.updateTable('user_sessions').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
  }

  async revokeAllOf(userId: string, now: Date): Promise<void> {
    await this.db.updateTable('user_sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }
}

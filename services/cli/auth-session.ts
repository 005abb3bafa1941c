import type { SessionAnswer, User } from './answers';
import type { Credentials, HeraldClient } from './herald-client';
import { HeraldRefusal } from './problem';
import type { SessionStore } from './session-store';

/**
 * The logged-in user's tokens, in memory. With `remember`, each refresh token (they are
 * single-use: every refresh hands out a new one) is written to the session store.
 */
export class AuthSession implements Credentials {
  private access: string | undefined;
  private refreshToken: string | undefined;
  user: User | undefined;

  constructor(
    private readonly store: SessionStore,
    readonly url: string,
    public remember: boolean,
    /** HERALD_TOKEN: a fixed bearer (API key or access token) that nothing renews. */
    private readonly fixedToken?: string,
  ) {
    this.access = fixedToken;
  }

  get loggedIn(): boolean {
    return this.access !== undefined;
  }

  get usesFixedToken(): boolean {
    return this.fixedToken !== undefined;
  }

  accessToken(): string | undefined {
    return this.access;
  }

  /** Takes the tokens of a login, register or refresh answer. */
  async adopt(answer: SessionAnswer): Promise<void> {
    this.access = answer.access_token;
    this.refreshToken = answer.refresh_token;
    if (answer.user !== undefined) this.user = answer.user;
    if (this.remember && this.user !== undefined) {
      await this.store.save({ url: this.url, username: this.user.username, refresh_token: answer.refresh_token });
    }
  }

  /** Starts from the remembered refresh token; false when there is none for this URL or it is no longer valid (then the file goes). */
  async resume(client: HeraldClient): Promise<boolean> {
    const resumed = await this.store.withLock(async () => {
      const remembered = await this.store.load();
      if (remembered === undefined || remembered.url !== this.url) return false;
      this.remember = true;
      this.user = { id: '', username: remembered.username, email: '', role: 'user', verified: false };
      try {
        await this.adopt(await client.refresh(remembered.refresh_token));
      } catch (error) {
        if (error instanceof HeraldRefusal && error.problem.status === 401) {
          this.forget();
          await this.store.remove();
          return false;
        }
        throw error;
      }
      return true;
    });
    if (resumed) this.user = await client.me();
    return resumed;
  }

  async renew(client: HeraldClient): Promise<boolean> {
    if (this.refreshToken === undefined) return false;
    const refresh = async () => {
      // Another herald command may have used the remembered token up since: take the file's.
      const remembered = this.remember ? await this.store.load() : undefined;
      const token = remembered !== undefined && remembered.url === this.url ? remembered.refresh_token : this.refreshToken;
      if (token === undefined) return false;
      try {
        await this.adopt(await client.refresh(token));
        return true;
      } catch (error) {
        if (error instanceof HeraldRefusal) return false;
        throw error;
      }
    };
    return this.remember ? this.store.withLock(refresh) : refresh();
  }

  /** Revokes the refresh token's family at the server (when there is one) and forgets everything, the file too. */
  async logout(client: HeraldClient): Promise<void> {
    try {
      if (this.refreshToken !== undefined && this.access !== undefined) await client.logout(this.refreshToken);
    } finally {
      this.forget();
      await this.store.remove();
    }
  }

  private forget(): void {
    this.access = this.fixedToken;
    this.refreshToken = undefined;
    this.user = undefined;
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { ApiKeyRow } from './tables';
import { unauthorized } from '../platform/errors';
import type { ApiKeyRepository } from './api-key-repository';
import { API_KEY_PREFIX, hashApiKey } from './api-keys';
import { type Principal, isScope, type Scope, SCOPES } from './scopes';

// No control characters, no lone surrogates (the `u` flag makes `.` match only whole characters).
const STORABLE_SUBJECT = /^[^\p{Cc}\p{Cs}]{1,200}$/u;

/** How long a key lookup is trusted; a revoked key stops working on every replica within this. */
export const API_KEY_CACHE_MS = 5000;
const TOUCH_EVERY_MS = 60000;

/** What the authenticator reads of a Herald user to honour its access token. */
export interface UserStanding {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly display_name: string | null;
  readonly role: 'user' | 'admin';
  readonly email_verified_at: Date | null;
  readonly disabled_at: Date | null;
  readonly password_changed_at: Date;
}

export interface UserStandingSource {
  standing(id: string): Promise<UserStanding | undefined>;
}

export interface AuthenticatorOptions {
  readonly jwtSecret?: string;
  readonly adminKey?: string;
  /** Where users' access tokens are checked against (disabled, password changed). */
  readonly users?: UserStandingSource;
  readonly now?: () => number;
}

const USER_SUBJECT = /^user:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

interface CachedKey {
  readonly row: ApiKeyRow | undefined;
  readonly until: number;
}

interface CachedUser {
  readonly standing: UserStanding | undefined;
  readonly until: number;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Turns an `Authorization` header into a Principal, or throws 401. */
export class Authenticator {
  private readonly cache = new Map<string, CachedKey>();
  private readonly userCache = new Map<string, CachedUser>();
  private readonly lastTouched = new Map<string, number>();
  private readonly adminDigest: Buffer | undefined;
  private readonly now: () => number;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly options: AuthenticatorOptions,
  ) {
    this.adminDigest = options.adminKey !== undefined ? sha256(options.adminKey) : undefined;
    this.now = options.now ?? Date.now;
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    const match = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header.trim());
    const token = match?.[1];
    if (token === undefined) throw unauthorized();
    // Digests have equal length, so the comparison takes the same time whatever the token.
    if (this.adminDigest !== undefined && timingSafeEqual(sha256(token), this.adminDigest)) {
      return { clientId: 'admin', scopes: [...SCOPES], via: 'admin-key' };
    }
    if (token.startsWith(API_KEY_PREFIX)) return this.fromApiKey(token);
    if (token.split('.').length === 3 && this.options.jwtSecret !== undefined) return this.fromJwt(token, this.options.jwtSecret);
    throw unauthorized('The bearer token is not a valid API key or JWT.');
  }

  private async fromApiKey(token: string): Promise<Principal> {
    const hash = hashApiKey(token);
    const row = await this.lookup(hash);
    if (row === undefined || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw unauthorized('The API key is unknown or revoked.');
    }
    this.touchLater(row.id);
    return { clientId: row.id, scopes: row.scopes.filter(isScope), via: 'api-key' };
  }

  private async lookup(hash: string): Promise<ApiKeyRow | undefined> {
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached !== undefined && cached.until > now) return cached.row;
    const row = await this.keys.findActiveByHash(hash);
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(hash, { row, until: now + API_KEY_CACHE_MS });
    return row;
  }

  /** last_used_at is informational; write it at most once a minute per key, off the request path. */
  private touchLater(id: string): void {
    const now = this.now();
    if ((this.lastTouched.get(id) ?? 0) + TOUCH_EVERY_MS > now) return;
    this.lastTouched.set(id, now);
    this.keys.touch(id).catch(() => undefined);
  }

  private async fromJwt(token: string, secret: string): Promise<Principal> {
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, secret, { algorithms: ['HS256'], audience: 'herald' });
    } catch (error) {
      throw unauthorized(`The JWT was rejected: ${(error as Error).message}.`);
    }
    if (typeof payload === 'string' || typeof payload.exp !== 'number') throw unauthorized('The JWT must carry an exp claim.');
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthorized('The JWT must carry a sub claim.');
    // The subject becomes the client id stored on every message: printable, well-formed and short.
    if (!STORABLE_SUBJECT.test(payload.sub)) throw unauthorized('The JWT sub claim must be 1 to 200 printable characters.');
    const claim: unknown = (payload as Record<string, unknown>).scope;
    const scopes: string[] = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : [];
    const userId = payload.iss === 'herald' ? USER_SUBJECT.exec(payload.sub)?.[1] : undefined;
    const passwordAt: unknown = (payload as Record<string, unknown>).pwd_at;
    if (userId !== undefined) return this.fromUserToken(userId, typeof passwordAt === 'number' ? passwordAt : undefined);
    return { clientId: `jwt:${payload.sub}`, scopes: scopes.filter(isScope), via: 'jwt' };
  }

  /**
   * A Herald user's access token. Its scopes come from the user's current role, not the token,
   * so a demotion counts at once; a disabled user's token, or one issued under an earlier
   * password, is refused once the cached standing expires (API_KEY_CACHE_MS).
   */
  private async fromUserToken(userId: string, passwordAt: number | undefined): Promise<Principal> {
    let standing = await this.userStanding(userId);
    // A token newer than the cached password (a login right after a change) reads the user again.
    if (standing !== undefined && passwordAt !== undefined && passwordAt > standing.password_changed_at.getTime()) {
      standing = await this.userStanding(userId, { fresh: true });
    }
    if (standing === undefined || standing.disabled_at !== null) throw unauthorized('This account is disabled or no longer exists.');
    // The token names the password it was issued under (pwd_at, ms): a change makes every earlier token stale.
    if (passwordAt !== standing.password_changed_at.getTime()) {
      throw unauthorized('The password was changed since this token was issued; log in again.');
    }
    const scopes: Scope[] = standing.role === 'admin' ? ['notify:send', 'messages:read', 'admin'] : ['notify:send', 'messages:read'];
    return {
      clientId: `user:${userId}`,
      scopes,
      via: 'user',
      user: { id: userId, email: standing.email, name: standing.display_name ?? standing.username, verified: standing.email_verified_at !== null },
    };
  }

  private async userStanding(id: string, options: { fresh?: boolean } = {}): Promise<UserStanding | undefined> {
    if (this.options.users === undefined) return undefined;
    const now = this.now();
    const cached = this.userCache.get(id);
    if (cached !== undefined && cached.until > now && options.fresh !== true) return cached.standing;
    const standing = await this.options.users.standing(id);
    if (this.userCache.size > 10000) this.userCache.clear();
    this.userCache.set(id, { standing, until: now + API_KEY_CACHE_MS });
    return standing;
  }
}

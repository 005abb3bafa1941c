import { createHash, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { ApiKeyRow } from './tables';
import { unauthorized } from '../platform/errors';
import type { ApiKeyRepository } from './api-key-repository';
import { API_KEY_PREFIX, hashApiKey } from './api-keys';
import { type Principal, isScope, SCOPES } from './scopes';

// No control characters, no lone surrogates (the `u` flag makes `.` match only whole characters).
const STORABLE_SUBJECT = /^[^\p{Cc}\p{Cs}]{1,200}$/u;

/** How long a key lookup is trusted; a revoked key stops working on every replica within this. */
export const API_KEY_CACHE_MS = 5000;
const TOUCH_EVERY_MS = 60000;

export interface AuthenticatorOptions {
  readonly jwtSecret?: string;
  readonly adminKey?: string;
  readonly now?: () => number;
}

interface CachedKey {
  readonly row: ApiKeyRow | undefined;
  readonly until: number;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Turns an `Authorization` header into a Principal, or throws 401. */
export class Authenticator {
  private readonly cache = new Map<string, CachedKey>();
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

  private fromJwt(token: string, secret: string): Principal {
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
    return { clientId: `jwt:${payload.sub}`, scopes: scopes.filter(isScope), via: 'jwt' };
  }
}

import { TooManyAttemptsError } from '../domain/errors';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import { loginFailuresKey } from '../platform/redis-keys';
import { withTimeout } from '../platform/with-timeout';

/** accounts.md: 10 failures in 15 minutes for one account, 50 for one IP. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const ACCOUNT_FAILURE_LIMIT = 10;
export const IP_FAILURE_LIMIT = 50;
const REDIS_TIMEOUT_MS = 1000;

// Counts one failure; the window starts with the first failure and is not pushed out by later ones.
const RECORD = `
local n = redis.call("INCR", KEYS[1])
if n == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return n`;

/**
 * Failed logins counted in Redis, so every API replica sees the same counts. When Redis does
 * not answer, logins go through (and a warning is logged): an outage must not lock everyone out.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Throws TooManyAttemptsError when the account or the IP has used up its failures. */
  async check(account: string, ip: string): Promise<void> {
    const keys = [this.key('account', account), this.key('ip', ip)];
    const answers = await this.safely(async () => {
      const pipeline = this.redis.multi();
      for (const key of keys) pipeline.get(key).pttl(key);
      return (await pipeline.exec()) ?? [];
    });
    if (answers === undefined) return;
    const [accountCount, accountTtl, ipCount, ipTtl] = answers.map(([, value]) => Number(value ?? 0));
    if ((accountCount ?? 0) >= ACCOUNT_FAILURE_LIMIT) throw tooMany('this account', accountTtl);
    if ((ipCount ?? 0) >= IP_FAILURE_LIMIT) throw tooMany('this address', ipTtl);
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    await this.safely(() =>
      Promise.all([this.key('account', account), this.key('ip', ip)].map((key) => this.redis.eval(RECORD, 1, key, LOGIN_WINDOW_MS))),
    );
  }

  /** A successful login clears the account's failures (not the IP's: one success must not reopen a spray). */
  async recordSuccess(account: string): Promise<void> {
    await this.safely(() => this.redis.del(this.key('account', account)));
  }

  private key(kind: 'account' | 'ip', subject: string): string {
    return loginFailuresKey(this.prefix, `${kind}:${subject.toLowerCase()}`);
  }

  private async safely<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      return await withTimeout(command(), REDIS_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'login throttle unavailable; letting the attempt through');
      return undefined;
    }
  }
}

function tooMany(what: string, ttlMs: number | undefined): TooManyAttemptsError {
  const retryAfterS = Math.max(1, Math.ceil((ttlMs !== undefined && ttlMs > 0 ? ttlMs : LOGIN_WINDOW_MS) / 1000));
  return new TooManyAttemptsError(`Too many failed logins for ${what}; try again in ${retryAfterS} s.`, retryAfterS);
}

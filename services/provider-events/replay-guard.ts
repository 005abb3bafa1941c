import { createHash } from 'node:crypto';
import { InvalidSignatureError, TemporarilyUnavailableError } from '../domain/errors';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import { webhookTokenKey } from '../platform/redis-keys';
import { withTimeout } from '../platform/with-timeout';

const REDIS_TIMEOUT_MS = 1000;

/**
 * Refuses a signed request's token when any replica has seen it within `ttlS` (longer than the
 * timestamps' window, so a replay is refused by one check or the other), with one Redis SET NX.
 */
export class ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly provider: string,
    private readonly ttlS: number,
    private readonly logger: Logger,
  ) {}

  /** Claims the token; throws InvalidSignatureError when it was used before. Redis not answering: 503, nothing recorded. */
  async claim(token: string): Promise<void> {
    let answer: string | null;
    try {
      answer = await withTimeout(this.redis.set(this.key(token), '1', 'EX', this.ttlS, 'NX'), REDIS_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn({ err: error, provider: this.provider }, 'webhook token not checked: Redis did not answer');
      throw new TemporarilyUnavailableError('The replay check is unavailable; nothing was recorded. Try again shortly.');
    }
    if (answer === null) throw new InvalidSignatureError('This token was used before; nothing was recorded.');
  }

  /** Gives a claimed token back when its request could not be recorded, so the provider's retry is taken. */
  async release(token: string): Promise<void> {
    await withTimeout(this.redis.del(this.key(token)), REDIS_TIMEOUT_MS).catch((error: unknown) => {
      this.logger.warn({ err: error, provider: this.provider }, 'webhook token not released');
    });
  }

  private key(token: string): string {
    return webhookTokenKey(this.prefix, this.provider, createHash('sha256').update(token).digest('hex'));
  }
}

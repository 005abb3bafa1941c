import type { Request, RequestHandler } from 'express';
import { principalOf } from './auth/middleware';
import { MAX_BATCH_ITEMS } from './notifications/schema';
import type { Config } from './platform/config';
import type { Logger } from './platform/logger';
import { clientIpKey, RedisRateLimiter, type TwoStepRateLimit } from './platform/rate-limit';
import type { Redis } from './platform/redis';

const MINUTE_MS = 60_000;

/** The rate limit middlewares of the API (DESIGN section 6). */
export interface RateLimits {
  /** POST /api/contact, per client IP (X-Forwarded-For only when TRUST_PROXY says so). */
  readonly contact: RequestHandler;
  /** POST /api/notify, per API key or JWT subject; after authentication. */
  readonly notify: RequestHandler;
  /** POST /api/notify/batch: the same budget as notify, one hit per item: one before the body is read, the rest once it is parsed. */
  readonly notifyBatch: TwoStepRateLimit;
  /** The public account routes that send mail or take a guess (register, verify), per client IP; the contact form's budget. */
  readonly accountsPublic: RequestHandler;
  /** POST /api/validate/email and /jobs: addresses per client, one hit per request (a job's lines cost DNS only once per domain). */
  readonly validate: RequestHandler;
  /** POST /api/validate/batch: the same budget, one hit per address: one before the body is read, the rest once it is parsed. */
  readonly validateBatch: TwoStepRateLimit;
}

/** A batch's cost: one per entry of its list field (`items`, `emails`), at least one, at most a batch's size. */
function entriesOf(field: string): (req: Request) => number {
  return (req) => {
    const list: unknown = (req.body as Record<string, unknown> | undefined)?.[field];
    return Array.isArray(list) ? Math.min(Math.max(list.length, 1), MAX_BATCH_ITEMS) : 1;
  };
}

const byClientIp = (req: Request) => clientIpKey(req.ip ?? 'unknown');
const byClient = (req: Request) => principalOf(req).clientId;

/** Builds the limiters on the process's fail-fast Redis connection; counters live under QUEUE_PREFIX. */
export function createRateLimits(redis: Redis, logger: Logger, config: Pick<Config, 'queuePrefix' | 'rateLimits'>): RateLimits {
  const perMinute = (name: string, limit: number, key: (req: Request) => string) =>
    new RedisRateLimiter(redis, logger, { name, limit, windowMs: MINUTE_MS, prefix: config.queuePrefix, key });
  const contact = perMinute('contact', config.rateLimits.contactPerMinute, byClientIp);
  const notify = perMinute('notify', config.rateLimits.notifyPerMinute, byClient);
  const accountsPublic = perMinute('accounts', config.rateLimits.contactPerMinute, byClientIp);
  // Every address checked can cost DNS queries on the operator's resolver: a budget per client.
  const validate = perMinute('validate', config.rateLimits.validatePerMinute, byClient);
  return {
    contact: contact.middleware(),
    notify: notify.middleware(),
    notifyBatch: notify.twoStep(entriesOf('items')),
    accountsPublic: accountsPublic.middleware(),
    validate: validate.middleware(),
    validateBatch: validate.twoStep(entriesOf('emails')),
  };
}

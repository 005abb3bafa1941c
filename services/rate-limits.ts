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

function addressCount(req: Request): number {
  const emails: unknown = (req.body as { emails?: unknown } | undefined)?.emails;
  return Array.isArray(emails) ? Math.min(Math.max(emails.length, 1), MAX_BATCH_ITEMS) : 1;
}

function batchSize(req: Request): number {
  const items: unknown = (req.body as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? Math.min(Math.max(items.length, 1), MAX_BATCH_ITEMS) : 1;
}

/** Builds the limiters on the process's fail-fast Redis connection; counters live under QUEUE_PREFIX. */
export function createRateLimits(redis: Redis, logger: Logger, config: Pick<Config, 'queuePrefix' | 'rateLimits'>): RateLimits {
  const contact = new RedisRateLimiter(redis, logger, {
    name: 'contact',
    limit: config.rateLimits.contactPerMinute,
    windowMs: MINUTE_MS,
    prefix: config.queuePrefix,
    key: (req) => clientIpKey(req.ip ?? 'unknown'),
  });
  const notify = new RedisRateLimiter(redis, logger, {
    name: 'notify',
    limit: config.rateLimits.notifyPerMinute,
    windowMs: MINUTE_MS,
    prefix: config.queuePrefix,
    key: (req) => principalOf(req).clientId,
  });
  const accountsPublic = new RedisRateLimiter(redis, logger, {
    name: 'accounts',
    limit: config.rateLimits.contactPerMinute,
    windowMs: MINUTE_MS,
    prefix: config.queuePrefix,
    key: (req) => clientIpKey(req.ip ?? 'unknown'),
  });
  // Every address checked can cost DNS queries on the operator's resolver: a budget per client.
  const validate = new RedisRateLimiter(redis, logger, {
    name: 'validate',
    limit: config.rateLimits.validatePerMinute,
    windowMs: MINUTE_MS,
    prefix: config.queuePrefix,
    key: (req) => principalOf(req).clientId,
  });
  return {
    contact: contact.middleware(),
    notify: notify.middleware(),
    notifyBatch: notify.twoStep(batchSize),
    accountsPublic: accountsPublic.middleware(),
    validate: validate.middleware(),
    validateBatch: validate.twoStep(addressCount),
  };
}

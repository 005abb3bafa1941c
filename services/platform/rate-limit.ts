import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { type AugmentedRequest, type IncrementResponse, type Logger as LimiterLogger, rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply, type SendCommandFn } from 'rate-limit-redis';
import { Coalescer } from './coalescer';
import { Problem } from './errors';
import { sendProblem } from './http';
import type { Logger } from './logger';
import type { Redis } from './redis';
import { rateLimitKeyPrefix } from './redis-keys';
import { withTimeout } from './with-timeout';

/** A Redis command that has not answered by then lets the request through rather than hold it. */
const STORE_TIMEOUT_MS = 1000;
/** A store outage is logged at most this often per limiter, not once per request. */
const WARN_EVERY_MS = 10_000;

// Same window semantics as rate-limit-redis's own script, so one counter can take both.
const INCREMENT_BY = `
local ttl = redis.call("PTTL", KEYS[1])
if ttl <= 0 then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[1])
  return { tonumber(ARGV[2]), tonumber(ARGV[1]) }
end
return { redis.call("INCRBY", KEYS[1], ARGV[2]), ttl }`;
// Gives back what a rejected request took, unless its window already ended (no key without a TTL).
const REFUND = `
if redis.call("PTTL", KEYS[1]) > 0 then redis.call("DECRBY", KEYS[1], ARGV[1]) end
return 0`;

/** The two halves of a request's charge: before its body is read, and once it is parsed (RedisRateLimiter.twoStep). */
export interface TwoStepRateLimit {
  readonly beforeBody: RequestHandler;
  readonly afterBody: RequestHandler;
}

/** Where the before-body step leaves its result on the request, beside express-rate-limit's own `rateLimit`. */
const BEFORE_BODY = 'rateLimitBeforeBody';

export interface RateLimitPolicy {
  /** Names the policy in the RateLimit headers and the Redis keys (`contact`, `notify`). */
  readonly name: string;
  /** Requests (or items) allowed per window for one key. */
  readonly limit: number;
  readonly windowMs: number;
  /** Keys live under this prefix (the configured QUEUE_PREFIX) so every replica shares them. */
  readonly prefix: string;
  /** Who is counted: the client IP, an API key id. */
  readonly key: (req: Request) => string;
}

/**
 * Fixed-window rate limits kept in Redis, shared by every API replica: express-rate-limit
 * with rate-limit-redis on the process's own ioredis connection.
 *
 * A request can cost more than one hit (a batch counts its items). Rejected requests are
 * refunded, so hammering a closed window does not push the reopening further out. When
 * Redis cannot answer the limiter fails open: accepting messages must outlive a Redis
 * outage (DESIGN section 4), so the request goes through and a warning is logged.
 */
export class RedisRateLimiter {
  private readonly sendCommand: SendCommandFn;
  private readonly limiterLogger: LimiterLogger;

  constructor(
    redis: Redis,
    logger: Logger,
    private readonly policy: RateLimitPolicy,
  ) {
    this.sendCommand = redisCommandSender(redis);
    this.limiterLogger = throttledLogger(logger, policy.name);
  }

  /** The middleware; `cost` says how many hits a request takes (default one). */
  middleware(cost: (req: Request) => number = () => 1): RequestHandler {
    return this.#limiter({ cost });
  }

  /**
   * One budget taken in two steps, for a request whose cost is known only once its body is
   * parsed (a batch counts its items). `beforeBody` takes one hit, the least any such request
   * costs, so a client with nothing left is refused before it uploads a byte; `afterBody`
   * takes the rest, `cost(req) - 1`. A refusal by `afterBody` gives back both steps, so a
   * batch that does not fit takes nothing, as before the split.
   *
   * Why not charge an estimate from Content-Length up front: bytes say little about items
   * (an item is 60 bytes or 1 MB), and any estimate above the real count would refuse a
   * client that can afford its batch. Memory is bounded separately, by the body budget.
   */
  twoStep(cost: (req: Request) => number): TwoStepRateLimit {
    const beforeBody = this.#limiter({ cost: () => 1, requestPropertyName: BEFORE_BODY });
    const rest = (req: Request) => cost(req) - 1;
    const afterLimiter = this.#limiter({ cost: rest, alsoRefund: (req) => entryOf(req, BEFORE_BODY) });
    const afterBody: RequestHandler = (req, res, next) => {
      // The second step reports the whole charge; the first step's lines would read as a second policy.
      if (rest(req) >= 1) {
        res.removeHeader('RateLimit');
        res.removeHeader('RateLimit-Policy');
      }
      return afterLimiter(req, res, next);
    };
    return { beforeBody, afterBody };
  }

  #limiter(step: { cost: (req: Request) => number; requestPropertyName?: string; alsoRefund?: (req: Request) => string | undefined }): RequestHandler {
    const { name, limit, windowMs } = this.policy;
    const requestPropertyName = step.requestPropertyName ?? 'rateLimit';
    // Each express-rate-limit instance needs a store of its own; the counters are in Redis.
    const store = new CostedRedisStore({ sendCommand: this.sendCommand, prefix: rateLimitKeyPrefix(this.policy.prefix, name) });
    return rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      store,
      passOnStoreError: true,
      logger: this.limiterLogger,
      requestPropertyName,
      // A step that costs nothing (the rest of a one-item batch) neither counts nor refuses.
      skip: (req) => step.cost(req) < 1,
      // The steps of twoStep count one request twice on purpose: the same key, in two parts.
      validate: step.alsoRefund === undefined ? true : { singleCount: false },
      keyGenerator: (req) => encodeEntry(this.policy.key(req), step.cost(req)),
      handler: (req, res) => {
        const entries = [entryOf(req, requestPropertyName), step.alsoRefund?.(req)];
        // The refund is best effort and need not hold up the answer.
        for (const entry of entries) if (entry !== undefined) void store.decrement(entry).catch(() => undefined);
        const retryAfter = res.getHeader('Retry-After');
        sendProblem(
          res,
          new Problem(429, 'Too Many Requests', `The ${name} limit of ${limit} per ${windowMs / 1000} s is used up; retry after ${String(retryAfter)} s.`, {
            limit,
            window_seconds: windowMs / 1000,
          }),
          req,
        );
      },
    });
  }
}

/** The limiter key for a client IP: IPv6 clients are grouped by /56, as one subscriber usually holds one. */
export { ipKeyGenerator as clientIpKey } from 'express-rate-limit';

/** The store entry a limiter counted this request under, from the property it left on the request. */
function entryOf(req: Request, requestPropertyName: string): string | undefined {
  return (req as AugmentedRequest)[requestPropertyName]?.key;
}

// express-rate-limit hands the store only a key, so the cost rides along in it.
function encodeEntry(key: string, cost: number): string {
  return `${key}|${Math.max(1, Math.floor(cost))}`;
}

function decodeEntry(entry: string): { key: string; cost: number } {
  const bar = entry.lastIndexOf('|');
  return { key: entry.slice(0, bar), cost: Number(entry.slice(bar + 1)) };
}

/**
 * Increments that arrive together (the same event-loop turn, or while earlier ones are in
 * flight) share one script call per key: a busy API pays one Redis round trip for many
 * requests. Each request still gets its own running total, so the limit holds exactly.
 */
const INCREMENT_COALESCING = { maxInFlight: 4, maxBatch: 1000 } as const;

class CostedRedisStore extends RedisStore {
  readonly #increments = new Coalescer<{ key: string; cost: number }, IncrementResponse>((items) => this.#incrementMany(items), INCREMENT_COALESCING);
  #incrementSha: Promise<RedisReply> | undefined;

  override async increment(entry: string): Promise<IncrementResponse> {
    return this.#increments.submit(decodeEntry(entry));
  }

  async #incrementMany(items: readonly { key: string; cost: number }[]): Promise<IncrementResponse[]> {
    const byKey = new Map<string, number[]>();
    items.forEach((item, index) => {
      const indexes = byKey.get(item.key) ?? [];
      indexes.push(index);
      byKey.set(item.key, indexes);
    });
    const results = new Array<IncrementResponse>(items.length);
    await Promise.all(
      [...byKey].map(async ([key, indexes]) => {
        const costs = indexes.map((index) => items[index]?.cost ?? 1);
        const { totalHits, resetTime } = await this.#incrementBy(key, costs.reduce((a, b) => a + b, 0));
        // Hand out the hits in arrival order, as if the requests had incremented one by one.
        let hits = totalHits - costs.reduce((a, b) => a + b, 0);
        indexes.forEach((index, i) => {
          hits += costs[i] ?? 1;
          results[index] = { totalHits: hits, resetTime };
        });
      }),
    );
    return results;
  }

  async #incrementBy(key: string, cost: number): Promise<IncrementResponse> {
    // Registers the script with the command sender (hashed locally; sent with EVAL once if Redis lacks it).
    this.#incrementSha ??= this.sendCommand({ key: this.prefixKey(key), isReadOnly: false, command: ['SCRIPT', 'LOAD', INCREMENT_BY] });
    const sha = String(await this.#incrementSha);
    const reply = await this.sendCommand({
      key: this.prefixKey(key),
      isReadOnly: false,
      command: ['EVALSHA', sha, '1', this.prefixKey(key), String(this.windowMs), String(cost)],
    });
    if (!Array.isArray(reply) || reply.length !== 2) throw new TypeError('unexpected reply from the rate limit script');
    return { totalHits: Number(reply[0]), resetTime: new Date(Date.now() + Number(reply[1])) };
  }

  override async decrement(entry: string): Promise<void> {
    const { key, cost } = decodeEntry(entry);
    await this.sendCommand({ key: this.prefixKey(key), isReadOnly: false, command: ['EVAL', REFUND, '1', this.prefixKey(key), String(cost)] });
  }

  override async resetKey(entry: string): Promise<void> {
    await super.resetKey(decodeEntry(entry).key);
  }
}

/**
 * rate-limit-redis's raw command function over ioredis. Scripts are hashed here rather than
 * loaded at startup, when the fail-fast connection may not be up yet; a script Redis has not
 * seen (a restart, a fresh replica) is sent once with EVAL.
 */
function redisCommandSender(redis: Redis): SendCommandFn {
  const scripts = new Map<string, string>();
  const ready = readiness(redis);
  const call = async (command: string, args: string[]): Promise<RedisReply> => {
    await ready();
    return withTimeout(redis.call(command, ...args) as Promise<RedisReply>, STORE_TIMEOUT_MS, `rate limit store did not answer within ${STORE_TIMEOUT_MS} ms`);
  };
  return async (command, ...args) => {
    const upper = command.toUpperCase();
    if (upper === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1] !== undefined) {
      const sha = createHash('sha1').update(args[1]).digest('hex');
      scripts.set(sha, args[1]);
      return sha;
    }
    if (upper !== 'EVALSHA') return call(command, args);
    const [sha = '', ...rest] = args;
    try {
      return await call('EVALSHA', args);
    } catch (error) {
      const script = scripts.get(sha);
      const isNoScript = String((error as { message?: unknown } | null)?.message).startsWith('NOSCRIPT');
      if (script === undefined || !isNoScript) throw error;
      return call('EVAL', [script, ...rest]);
    }
  };
}

const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/**
 * The fail-fast connection refuses commands until it is ready. While a connection attempt is
 * under way (a fresh process, say) a command waits for it, briefly, instead of letting the
 * first requests through unlimited; between attempts during an outage it fails at once.
 */
function readiness(redis: Redis): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    if (!CONNECTING.has(redis.status)) return Promise.resolve();
    pending ??= new Promise<void>((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        redis.off('ready', settle);
        redis.off('close', settle);
        pending = undefined;
        resolve();
      };
      const timer = setTimeout(settle, STORE_TIMEOUT_MS);
      redis.on('ready', settle);
      redis.on('close', settle);
    });
    return pending;
  };
}

function throttledLogger(logger: Logger, limiter: string): LimiterLogger {
  const lastLogged = new Map<string, number>();
  const log = (error: unknown, message = 'rate limiter error') => {
    const now = Date.now();
    if ((lastLogged.get(message) ?? -Infinity) + WARN_EVERY_MS > now) return;
    lastLogged.set(message, now);
    logger.warn({ err: error, limiter }, message);
  };
  return { warn: log, error: log };
}

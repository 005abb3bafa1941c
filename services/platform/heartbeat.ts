import type { Redis } from './redis';
import { heartbeatKey } from './redis-keys';

/** Records that `workerId` is alive for the next `ttlMs`. */
export async function beat(redis: Redis, prefix: string, workerId: string, ttlMs: number): Promise<void> {
  await redis.zadd(heartbeatKey(prefix), Date.now() + ttlMs, workerId);
}

/** Removes a worker at shutdown, so health turns at once rather than after the TTL. */
export async function leave(redis: Redis, prefix: string, workerId: string): Promise<void> {
  await redis.zrem(heartbeatKey(prefix), workerId);
}

/** Counts workers whose heartbeat has not expired, pruning the expired ones. */
export async function liveWorkers(redis: Redis, prefix: string): Promise<number> {
  const key = heartbeatKey(prefix);
  const now = Date.now();
  await redis.zremrangebyscore(key, '-inf', now);
  return redis.zcount(key, now, '+inf');
}

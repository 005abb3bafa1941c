import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * Opens an ioredis connection suitable for BullMQ (`maxRetriesPerRequest: null`).
 * `failFast` connections (the API's producer) give up on a command quickly so an
 * unreachable Redis never holds an HTTP request hostage.
 */
export function createRedis(url: string, options: { failFast?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: options.failFast === true ? 1 : null,
    enableOfflineQueue: options.failFast !== true,
    connectTimeout: 2000,
    // A connection closed while reconnecting would otherwise keep the process alive for 2 s.
    disconnectTimeout: 200,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors are reported through health checks and failed commands; the event would otherwise crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/** True when Redis answers PING within a second. */
export async function pingRedis(redis: Redis): Promise<boolean> {
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
    ]);
    return answer === 'PONG';
  } catch {
    return false;
  }
}

import type { Express } from 'express';
import { ApiKeyService } from '../../services/auth/api-keys';
import type { Scope } from '../../services/auth/scopes';
import { createApiApp, createServices, type Infrastructure, openInfrastructure, type Services } from '../../services/app';
import { type Config, loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { createRedis, type Redis } from '../../services/platform/redis';
import { ADMIN_KEY, bearer, JWT_SECRET } from './fixtures';
import { createTestDatabase, type TestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from './test-db';

// Defined in fixtures with the other named test data; exported here as before.
export { ADMIN_KEY, JWT_SECRET };

/** An API key made for a test. */
export interface TestKey {
  readonly id: string;
  /** The secret, as a client sends it. */
  readonly key: string;
  /** The Authorization header value for the key. */
  readonly bearer: string;
}

export interface TestApp {
  readonly app: Express;
  readonly config: Config;
  readonly infra: Infrastructure;
  readonly services: Services;
  readonly database: TestDatabase;
  /** A separate Redis connection for inspecting queue keys. */
  readonly redis: Redis;
  /** Makes an API key with the given scopes and returns the bearer header value. */
  bearerWith(...scopes: Scope[]): Promise<string>;
  /** Makes an API key with the given scopes and returns its id, its secret and its bearer header value. */
  keyWith(...scopes: Scope[]): Promise<TestKey>;
  close(): Promise<void>;
}

/** An API instance on its own database and queue prefix. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    HERALD_ADMIN_KEY: ADMIN_KEY,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    // Suites post many messages from 127.0.0.1; tests of the limits set their own.
    CONTACT_RATE_LIMIT: '100000',
    NOTIFY_RATE_LIMIT: '1000000',
    VALIDATE_RATE_LIMIT: '1000000',
    ...env,
  });
  const logger = createLogger({ level: config.logLevel, role: 'test' });
  const infra = openInfrastructure(config, logger, { dbPoolSize: 10 });
  const services = createServices(infra);
  const app = createApiApp(infra, services);
  const redis = createRedis(config.redisUrl);
  const keys = new ApiKeyService(services.apiKeys);
  const keyWith = async (...scopes: Scope[]): Promise<TestKey> => {
    const created = await keys.create(`test ${scopes.join(' ')}`, scopes);
    return { id: created.row.id, key: created.key, bearer: bearer(created.key) };
  };
  return {
    app,
    config,
    infra,
    services,
    database,
    redis,
    bearerWith: async (...scopes) => (await keyWith(...scopes)).bearer,
    keyWith,
    close: async () => {
      await infra.queue.obliterate({ force: true }).catch(() => undefined);
      await infra.close();
      const keysLeft = await redis.keys(`${config.queuePrefix}*`);
      if (keysLeft.length > 0) await redis.del(...keysLeft);
      redis.disconnect();
      await database.destroy();
    },
  };
}

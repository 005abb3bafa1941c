import type { Express } from 'express';
import express from 'express';
import { queueDashboard } from './admin/queue-dashboard';
import { ApiKeyRepository } from './auth/api-key-repository';
import { Authenticator } from './auth/authenticator';
import { ContactRepository } from './contact/repository';
import { contactRoutes } from './contact/routes';
import { ContactService } from './contact/service';
import { docsRoutes } from './docs/routes';
import { healthRoutes } from './health/routes';
import { HealthService } from './health/service';
import { MessageEnqueuer } from './messages/enqueuer';
import { MessageLifecycleService } from './messages/lifecycle-service';
import { lifecycleRoutes } from './messages/routes';
import { NotificationRepository } from './notifications/repository';
import { notificationRoutes } from './notifications/routes';
import { NotificationService } from './notifications/service';
import { BodyBudget, useBodyBudget } from './platform/body-budget';
import type { Config } from './platform/config';
import type { MessageKind } from './platform/database';
import { createDb, type Db } from './platform/db';
import { accessLog, errorHandler, notFoundHandler, requestId } from './platform/http';
import { liveWorkers } from './platform/heartbeat';
import type { Logger } from './platform/logger';
import { HeraldMetrics } from './platform/metrics';
import { httpMetrics, metricsRoutes } from './platform/metrics-http';
import { createDeliveryQueue, type DeliveryQueue } from './platform/queue';
import { jobCountsByState, oldestWaitingJobAgeSeconds } from './platform/queue-stats';
import { createRedis, type Redis } from './platform/redis';
import { securityHeaders } from './platform/security-headers';
import { createRateLimits } from './rate-limits';

/** The long-lived connections one Herald process holds. */
export interface Infrastructure {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  /** Fail-fast connection for producing jobs and health checks. */
  readonly redis: Redis;
  readonly queue: DeliveryQueue;
  /** This process's Prometheus registry, shared by its api and worker parts. */
  readonly metrics: HeraldMetrics;
  close(): Promise<void>;
}

/** Opens the database pool, a Redis connection and the delivery queue producer. */
export function openInfrastructure(config: Config, logger: Logger, options: { dbPoolSize?: number } = {}): Infrastructure {
  const db = createDb({ url: config.databaseUrl, max: options.dbPoolSize ?? 20 });
  const redis = createRedis(config.redisUrl, { failFast: true });
  const queue = createDeliveryQueue(redis, config.queuePrefix);
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const metrics = new HeraldMetrics(
    {
      jobCounts: () => jobCountsByState(queue),
      oldestWaitingJobAgeSeconds: () => oldestWaitingJobAgeSeconds(queue),
      liveWorkers: () => liveWorkers(redis, config.queuePrefix),
    },
    { onCollectError: (metric, error) => logger.warn({ err: error, metric }, 'metric not collected') },
  );
  return {
    config,
    logger,
    db,
    redis,
    queue,
    metrics,
    close: async () => {
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await db.destroy();
    },
  };
}

/** The application services, wired once per process. */
export interface Services {
  readonly authenticator: Authenticator;
  readonly apiKeys: ApiKeyRepository;
  readonly contact: ContactService;
  readonly notifications: NotificationService;
  readonly health: HealthService;
  readonly enqueuer: MessageEnqueuer;
  readonly lifecycle: MessageLifecycleService;
}

export function createServices(infra: Infrastructure): Services {
  const { config, db, logger } = infra;
  const apiKeys = new ApiKeyRepository(db);
  const countAccepted = (kind: MessageKind, count: number) => infra.metrics.accepted(kind, count);
  const enqueuer = new MessageEnqueuer(infra.queue, db, config, logger, () => infra.redis.status === 'ready');
  return {
    apiKeys,
    authenticator: new Authenticator(apiKeys, { jwtSecret: config.jwtSecret, adminKey: config.adminKey }),
    contact: new ContactService(new ContactRepository(db), enqueuer, countAccepted),
    notifications: new NotificationService(new NotificationRepository(db), enqueuer, countAccepted),
    health: new HealthService(db, infra.redis, config.queuePrefix),
    enqueuer,
    lifecycle: new MessageLifecycleService(db, infra.queue, enqueuer),
  };
}

/** The HTTP API: every route of DESIGN section 6 behind the shared middleware. */
export function createApiApp(infra: Infrastructure, services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', infra.config.trustProxy);
  app.set('query parser', 'simple');
  app.use(httpMetrics(infra.metrics));
  app.use(requestId());
  app.use(accessLog(infra.logger));
  app.use(securityHeaders());
  const bodyBudget = new BodyBudget(infra.config.maxBodyBytesInFlight);
  infra.metrics.watchBodyBudget(bodyBudget);
  app.use(useBodyBudget(bodyBudget));
  const limits = createRateLimits(infra.redis, infra.logger, infra.config);
  app.use(healthRoutes(services.health));
  app.use(docsRoutes());
  app.use(
    contactRoutes(services.contact, services.authenticator, {
      rateLimit: limits.contact,
      allowedOrigins: infra.config.contactAllowedOrigins,
      redirectAllowlist: infra.config.contactRedirectAllowlist,
    }),
  );
  app.use(notificationRoutes(services.notifications, services.authenticator, { rateLimit: limits.notify, batchRateLimit: limits.notifyBatch }));
  app.use(lifecycleRoutes(services.lifecycle, services.authenticator));
  app.use(metricsRoutes(infra.metrics, infra.config.metricsToken));
  app.use(queueDashboard(infra.queue, services.authenticator));
  app.use(notFoundHandler());
  app.use(errorHandler(infra.logger));
  return app;
}

import { createServer } from 'node:http';
import express, { type Express } from 'express';
import { HealthService } from '../services/health/service';
import type { Infrastructure } from '../services/app';
import { errorHandler, notFoundHandler, route } from '../services/platform/http';
import { httpMetrics, metricsRoutes } from '../services/platform/metrics-http';

export interface WorkerHttp {
  close(): Promise<void>;
}

/** The worker's own small HTTP surface: /livez and /readyz for orchestrators, /metrics for Prometheus. */
export function createWorkerHttpApp(infra: Infrastructure): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics(infra.metrics));
  const router = express.Router();
  route(router, '/livez', { get: [(_req, res) => void res.json({ status: 'alive', role: 'worker' })] });
  const health = new HealthService(infra.db, infra.redis, infra.config.queuePrefix);
  route(router, '/readyz', {
    get: [
      async (_req, res) => {
        const checks = await health.ready();
        const ok = checks.database && checks.redis;
        res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', role: 'worker', checks });
      },
    ],
  });
  app.use(router);
  app.use(metricsRoutes(infra.metrics, infra.config.metricsToken));
  app.use(notFoundHandler());
  app.use(errorHandler(infra.logger));
  return app;
}

/** Serves createWorkerHttpApp on `port`. */
export async function startWorkerHttp(port: number, infra: Infrastructure): Promise<WorkerHttp> {
  const server = createServer(createWorkerHttpApp(infra));
  await new Promise<void>((resolve) => server.listen(port, resolve));
  infra.logger.info({ port }, 'worker http listening');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its scrape connection open; do not wait for it to go away.
        server.closeIdleConnections();
      }),
  };
}

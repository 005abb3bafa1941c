import { Router } from 'express';
import { route } from '../platform/http';
import type { HealthService } from './service';

/** Public probes: /livez (process), /readyz (database and Redis, and not shutting down), /healthz (those and the workers). */
export function healthRoutes(health: HealthService): Router {
  const router = Router();
  route(router, '/livez', { get: [(_req, res) => void res.json({ status: 'alive' })] });
  route(router, '/readyz', {
    get: [
      async (_req, res) => {
        if (health.draining) {
          res.status(503).json({ status: 'draining' });
          return;
        }
        const ready = await health.ready();
        const ok = ready.database && ready.redis;
        res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: ready });
      },
    ],
  });
  route(router, '/healthz', {
    get: [
      async (_req, res) => {
        const report = await health.report();
        res.status(report.status === 'healthy' ? 200 : 503).json(report);
      },
    ],
  });
  return router;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { type Request, type RequestHandler, Router } from 'express';
import { unauthorized } from './errors';
import { onResponseEnd, route, sendProblem } from './http';
import type { HeraldMetrics } from './metrics';

/**
 * The route template that served a request, never the raw path, so ids do not explode the label set:
 * `/api/contact/:id`, `/admin/queues/*` for a mounted app's static files, `unmatched` for 404s.
 */
export function routeLabel(req: Request): string {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}` || '/';
  if (req.baseUrl !== '') return `${req.baseUrl}/*`;
  return 'unmatched';
}

/** Observes every request in http_request_duration_seconds once its answer is sent or abandoned. */
export function httpMetrics(metrics: HeraldMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpRequestDuration.startTimer();
    onResponseEnd(res, () => end({ method: req.method, route: routeLabel(req), status_code: String(res.statusCode) }));
    next();
  };
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** GET /metrics in the Prometheus text format, behind `Authorization: Bearer <token>` when a token is set. */
export function metricsRoutes(metrics: HeraldMetrics, token: string | undefined): Router {
  const expected = token === undefined ? undefined : sha256(token);
  const router = Router();
  route(router, '/metrics', {
    get: [
      async (req, res) => {
        if (expected !== undefined) {
          const given = /^Bearer (\S+)$/i.exec(req.header('authorization')?.trim() ?? '')?.[1];
          // Digests have equal length, so the comparison takes the same time whatever was sent.
          if (given === undefined || !timingSafeEqual(sha256(given), expected)) {
            res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
            sendProblem(res, unauthorized('Send the metrics token as a bearer credential.'), req);
            return;
          }
        }
        const { contentType, body } = await metrics.exposition();
        res.setHeader('Cache-Control', 'no-store');
        res.type(contentType).send(body);
      },
    ],
  });
  return router;
}

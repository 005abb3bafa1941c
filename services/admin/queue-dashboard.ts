import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type RequestHandler, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import type { DeliveryQueue } from '../platform/queue';
import { requireAdmin } from './admin-auth';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

// The dashboard is a script-driven page with its own assets and Google fonts; the API's
// `default-src 'none'` policy would blank it, so this path gets a policy of its own.
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function dashboardHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/**
 * bull-board at /admin/queues for operators with the admin scope. Retrying from the board is off:
 * a failed job's row is `failed` in Postgres, so use POST /api/messages/:id/retry instead.
 */
export function queueDashboard(queue: DeliveryQueue, authenticator: Authenticator): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [
      new BullMQAdapter(queue, {
        allowRetries: false,
        description: 'Delivery jobs ({id, kind}); retry failed messages with POST /api/messages/:id/retry',
      }),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Herald' } },
  });
  // Typed `any` by bull-board; it is an Express app.
  const board = serverAdapter.getRouter() as RequestHandler;
  const router = Router();
  router.use(QUEUE_DASHBOARD_PATH, requireAdmin(authenticator), dashboardHeaders(), board);
  return router;
}

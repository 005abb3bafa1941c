import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { route } from '../platform/http';
import type { MessageLifecycleService } from './lifecycle-service';
import { uuidParam } from './params';

/** POST /api/notify/:id/cancel (notify:send) and POST /api/messages/:id/retry (admin). */
export function lifecycleRoutes(lifecycle: MessageLifecycleService, authenticator: Authenticator): Router {
  const router = Router();
  route(router, '/api/notify/:id/cancel', {
    post: [
      requireScope(authenticator, 'notify:send'),
      async (req, res) => {
        res.json(await lifecycle.cancelNotification(principalOf(req), uuidParam(req)));
      },
    ],
  });
  route(router, '/api/messages/:id/retry', {
    post: [
      requireScope(authenticator, 'admin'),
      async (req, res) => {
        res.status(202).json(await lifecycle.retry(uuidParam(req)));
      },
    ],
  });
  return router;
}

import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { statsQuerySchema } from './stats-schema';
import type { StatsService } from './stats-service';

/** design/engagement.md, Statistics: `messages:read`. */
export function statsRoutes(stats: StatsService, authenticator: Authenticator): Router {
  const router = Router();
  const read = requireScope(authenticator, 'messages:read');
  route(router, '/api/stats', {
    get: [
      read,
      async (req, res) => {
        res.json(await stats.stats(principalOf(req), parseOrThrow(statsQuerySchema, req.query, 'query')));
      },
    ],
  });
  route(router, '/api/templates/:name/stats', {
    get: [
      read,
      async (req, res) => {
        res.json(await stats.stats(principalOf(req), parseOrThrow(statsQuerySchema, req.query, 'query'), String(req.params.name ?? '')));
      },
    ],
  });
  return router;
}

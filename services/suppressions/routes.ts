import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { addSuppressionSchema, suppressedAddress, suppressionListQuerySchema } from './schema';
import type { SuppressionService } from './suppression-service';

/** design/engagement.md: list, add and remove suppressions, all with `suppressions:write`. */
export function suppressionRoutes(suppressions: SuppressionService, authenticator: Authenticator): Router {
  const router = Router();
  const write = requireScope(authenticator, 'suppressions:write');
  route(router, '/api/suppressions', {
    get: [
      write,
      async (req, res) => {
        res.json(await suppressions.list(principalOf(req), '/api/suppressions', parseOrThrow(suppressionListQuerySchema, req.query, 'query')));
      },
    ],
    post: [
      write,
      requireContentType(),
      jsonBody('16kb'),
      async (req, res) => {
        res.status(201).json(await suppressions.add(principalOf(req), parseOrThrow(addSuppressionSchema, req.body)));
      },
    ],
  });
  route(router, '/api/suppressions/:address', {
    delete: [
      write,
      async (req, res) => {
        const address = parseOrThrow(suppressedAddress, String(req.params.address ?? ''), 'address');
        await suppressions.remove(principalOf(req), address);
        res.status(204).end();
      },
    ],
  });
  return router;
}

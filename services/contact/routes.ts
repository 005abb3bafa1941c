import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { idempotencyKeyOf } from '../messages/idempotency';
import { listQuerySchema } from '../messages/pagination';
import { uuidParam } from '../messages/params';
import { contactRequestSchema } from './schema';
import type { ContactService } from './service';

/** POST is public; reading needs `messages:read`. */
export function contactRoutes(service: ContactService, authenticator: Authenticator): Router {
  const router = Router();
  route(router, '/api/contact', {
    post: [
      requireContentType(),
      jsonBody('32kb'),
      async (req, res) => {
        const input = parseOrThrow(contactRequestSchema, req.body);
        const result = await service.accept(input, {
          idempotencyKey: idempotencyKeyOf(req),
          sourceIp: req.ip ?? null,
          userAgent: req.header('user-agent') ?? null,
        });
        if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
        res.status(202).json(result.body);
      },
    ],
    get: [
      requireScope(authenticator, 'messages:read'),
      async (req, res) => {
        const query = parseOrThrow(listQuerySchema, req.query, 'query');
        res.json(await service.list(principalOf(req), '/api/contact', query));
      },
    ],
  });
  route(router, '/api/contact/:id', {
    get: [
      requireScope(authenticator, 'messages:read'),
      async (req, res) => {
        res.json(await service.get(principalOf(req), uuidParam(req)));
      },
    ],
  });
  return router;
}

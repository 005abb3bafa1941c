import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { uuidParam } from '../messages/params';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { createEndpointSchema, updateEndpointSchema } from './schema';
import type { WebhookService } from './service';

/** /api/webhooks: a client's endpoints, all under `webhooks:write` (design/webhooks.md). */
export function webhookRoutes(service: WebhookService, authenticator: Authenticator): Router {
  const router = Router();
  const auth = requireScope(authenticator, 'webhooks:write');
  const endpointId = (req: Parameters<typeof uuidParam>[0]) => uuidParam(req, 'webhook endpoint');
  route(router, '/api/webhooks', {
    get: [auth, async (req, res) => void res.json({ results: await service.list(principalOf(req)) })],
    post: [
      auth,
      requireContentType(),
      jsonBody('16kb'),
      async (req, res) => {
        const input = parseOrThrow(createEndpointSchema, req.body);
        const created = await service.create(principalOf(req), input);
        res.status(201).location(`/api/webhooks/${created.id}`).json(created);
      },
    ],
  });
  route(router, '/api/webhooks/:id', {
    get: [auth, async (req, res) => void res.json(await service.get(principalOf(req), endpointId(req)))],
    patch: [
      auth,
      requireContentType(),
      jsonBody('16kb'),
      async (req, res) => {
        const patch = parseOrThrow(updateEndpointSchema, req.body);
        res.json(await service.update(principalOf(req), endpointId(req), patch));
      },
    ],
    delete: [
      auth,
      async (req, res) => {
        await service.delete(principalOf(req), endpointId(req));
        res.status(204).end();
      },
    ],
  });
  route(router, '/api/webhooks/:id/test', {
    post: [auth, async (req, res) => void res.json(await service.test(principalOf(req), endpointId(req)))],
  });
  route(router, '/api/webhooks/:id/deliveries', {
    get: [auth, async (req, res) => void res.json({ results: await service.deliveries(principalOf(req), endpointId(req)) })],
  });
  route(router, '/api/webhooks/:id/deliveries/:delivery_id/replay', {
    post: [
      auth,
      async (req, res) => {
        const deliveryId = String(req.params.delivery_id);
        res.status(202).json(await service.replay(principalOf(req), endpointId(req), deliveryId));
      },
    ],
  });
  return router;
}

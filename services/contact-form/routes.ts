import { type RequestHandler, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { idempotencyKeyOf } from '../messages/idempotency';
import { detailRoutes, listHandlers } from '../messages/routes';
import { contactCors, FORM_CONTENT_TYPE, formBody, isFormPost, redirectPolicy } from './form-handling';
import { contactRequestSchema } from './schema';
import type { ContactService } from './service';

export interface ContactRouteOptions {
  /** The per-IP limit on POST. */
  readonly rateLimit: RequestHandler;
  readonly allowedOrigins: readonly string[];
  readonly redirectAllowlist: readonly string[];
}

/** POST is public (JSON or an HTML form); reading needs `messages:read`. */
export function contactRoutes(service: ContactService, authenticator: Authenticator, options: ContactRouteOptions): Router {
  const router = Router();
  const cors = contactCors(options.allowedOrigins);
  const redirectTarget = redirectPolicy(options.redirectAllowlist);
  router.options('/api/contact', cors.preflight);
  route(router, '/api/contact', {
    post: [
      cors.actual,
      options.rateLimit,
      requireContentType(FORM_CONTENT_TYPE),
      jsonBody('32kb'),
      formBody('32kb'),
      async (req, res) => {
        const input = parseOrThrow(contactRequestSchema, req.body);
        const result = await service.accept(input, {
          idempotencyKey: idempotencyKeyOf(req),
          sourceIp: req.ip ?? null,
          userAgent: req.header('user-agent') ?? null,
        });
        if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
        const target = isFormPost(req) ? redirectTarget(input.redirect) : undefined;
        if (target !== undefined) return res.redirect(303, target);
        res.status(202).json(result.body);
      },
    ],
    get: listHandlers(service, authenticator, '/api/contact'),
  });
  detailRoutes(router, service, authenticator, '/api/contact', 'contact message');
  return router;
}

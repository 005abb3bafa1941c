import { type RequestHandler, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { jsonBody, requireContentType, route } from '../platform/http';
import type { TwoStepRateLimit } from '../platform/rate-limit';
import { parseOrThrow, toFieldErrors } from '../platform/schema-helpers';
import { idempotencyKeyOf } from '../messages/idempotency';
import { uuidParam } from '../messages/params';
import { notFound } from '../platform/errors';
import { detailRoutes, listHandlers } from '../messages/routes';
import { batchItemSchema, batchRequestSchema, emailSendSchema, notifyRequestSchema } from './schema';
import type { NotificationService } from './service';

/** A value for `filename*=UTF-8''…`: percent-encoded beyond what encodeURIComponent leaves (RFC 5987 attr-char). */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface NotificationRouteOptions {
  /** Per-client limit on POST /api/notify, after authentication. */
  readonly rateLimit: RequestHandler;
  /** The same budget for the batch, one hit per item: one before the body is read, the rest once it is parsed. */
  readonly batchRateLimit: TwoStepRateLimit;
}

/** Internal services send with `notify:send` and read with `messages:read`. */
export function notificationRoutes(service: NotificationService, authenticator: Authenticator, options: NotificationRouteOptions): Router {
  const router = Router();
  route(router, '/api/notify', {
    post: [
      requireScope(authenticator, 'notify:send'),
      options.rateLimit,
      requireContentType(),
      // Room for 10 MB of files in base64 (accounts.md); the body budget bounds what is read at once.
      jsonBody('15mb'),
      async (req, res) => {
        const key = idempotencyKeyOf(req);
        const input = parseOrThrow(notifyRequestSchema, req.body);
        const result = await service.accept(principalOf(req), key, input);
        if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
        res.status(202).json(result.body);
      },
    ],
    get: listHandlers(service, authenticator, '/api/notify'),
  });
  route(router, '/api/notify/batch', {
    post: [
      requireScope(authenticator, 'notify:send'),
      // A client out of budget is refused before it uploads up to 10 MB.
      options.batchRateLimit.beforeBody,
      requireContentType(),
      jsonBody('10mb'),
      options.batchRateLimit.afterBody,
      async (req, res) => {
        const envelope = parseOrThrow(batchRequestSchema, req.body);
        const items = envelope.items.map((item, index) => {
          const parsed = batchItemSchema.safeParse(item);
          return parsed.success ? parsed.data : toFieldErrors(parsed.error, `items.${index}`);
        });
        const results = await service.acceptBatch(principalOf(req), items);
        const accepted = results.filter((r) => r.status === 202).length;
        res.status(202).json({ accepted, rejected: results.length - accepted, results });
      },
    ],
  });
  // The seed's route (templates.md): a templated notify under its old shape and answer.
  route(router, '/api/v1/emails/send', {
    post: [
      requireScope(authenticator, 'notify:send'),
      options.rateLimit,
      requireContentType(),
      jsonBody('1mb'),
      async (req, res) => {
        const key = idempotencyKeyOf(req);
        // Its own schema first (only its four fields, template required), then the notify one it is a case of.
        parseOrThrow(emailSendSchema, req.body);
        const input = parseOrThrow(notifyRequestSchema, req.body);
        const result = await service.accept(principalOf(req), key, input);
        if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
        res.status(202).json({ status: result.body.status, email_id: result.body.id, id: result.body.id });
      },
    ],
  });
  detailRoutes(router, service, authenticator, '/api/notify', 'notification');
  route(router, '/api/notify/:id/attachments/:n', {
    get: [
      requireScope(authenticator, 'messages:read'),
      async (req, res) => {
        const n = req.params.n;
        if (typeof n !== 'string' || !/^\d{1,2}$/.test(n)) throw notFound('No attachment with this number.');
        const file = await service.attachment(principalOf(req), uuidParam(req, 'notification'), Number(n));
        // Always a download, never rendered in Herald's origin; the name travels RFC 5987-encoded.
        res.setHeader('Content-Type', file.content_type);
        res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${rfc5987(file.filename)}`);
        res.setHeader('Content-Length', String(file.content.length));
        res.end(file.content);
      },
    ],
  });
  return router;
}

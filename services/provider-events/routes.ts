import { type RequestHandler, Router } from 'express';
import { jsonBody, rawBody, requireContentType, route } from '../platform/http';
import type { ProviderEventService } from './provider-event-service';
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER } from './sendgrid-signature';

/** SendGrid posts batches of up to a few hundred kilobytes; Mailgun one event. */
const SENDGRID_BODY_LIMIT = '4mb';
const MAILGUN_BODY_LIMIT = '1mb';

/**
 * POST /webhooks/sendgrid and /webhooks/mailgun: public, each verified by its provider's
 * signature. SendGrid's route reads the raw bytes, since its signature covers them exactly;
 * the body parsers are these routes' own, so no other route's parsing changes.
 */
export function providerEventRoutes(events: ProviderEventService): Router {
  const router = Router();
  // Answer 503 naming the variable before reading a byte of the body.
  const configured = (check: () => unknown): RequestHandler => (_req, _res, next) => {
    check();
    next();
  };
  route(router, '/webhooks/sendgrid', {
    post: [
      configured(() => events.requireSendgrid()),
      rawBody(SENDGRID_BODY_LIMIT),
      async (req, res) => {
        const body: unknown = req.body;
        res.json(
          await events.sendgrid({
            timestamp: req.header(SENDGRID_TIMESTAMP_HEADER),
            signature: req.header(SENDGRID_SIGNATURE_HEADER),
            body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
          }),
        );
      },
    ],
  });
  route(router, '/webhooks/mailgun', {
    post: [
      configured(() => events.requireMailgun()),
      requireContentType(),
      jsonBody(MAILGUN_BODY_LIMIT),
      async (req, res) => {
        res.json(await events.mailgun(req.body));
      },
    ],
  });
  return router;
}

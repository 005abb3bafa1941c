import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import type { ConversionService } from './conversion-service';
import { trackSchema } from './schema';

/** POST /api/events/track and the seed's /api/v1/events/track: `messages:read`, since only a readable message can convert. */
export function conversionRoutes(conversions: ConversionService, authenticator: Authenticator): Router {
  const router = Router();
  for (const path of ['/api/events/track', '/api/v1/events/track']) {
    route(router, path, {
      post: [
        requireScope(authenticator, 'messages:read'),
        requireContentType(),
        jsonBody('16kb'),
        async (req, res) => {
          res.status(201).json(await conversions.track(principalOf(req), parseOrThrow(trackSchema, req.body)));
        },
      ],
    });
  }
  return router;
}

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's response headers, with a content policy for what Herald serves: JSON and one
 * self-contained docs page (inline styles, no scripts, nothing from elsewhere).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'style-src': ["'unsafe-inline'"],
        'img-src': ["'self'"],
        'base-uri': ["'none'"],
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

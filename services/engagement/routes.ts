import { type Request, type Response, Router } from 'express';
import type { Logger } from '../platform/logger';
import { route } from '../platform/http';
import type { EngagementService, Requester } from './engagement-service';
import { PIXEL_GIF, UNKNOWN_LINK_PAGE, UNSUBSCRIBED_PAGE, unsubscribeForm } from './pages';

const NO_CACHE = 'no-store, no-cache, must-revalidate, max-age=0';
// The unsubscribe page posts its own form; nothing else is allowed.
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const requester = (req: Request): Requester => ({ userAgent: req.get('user-agent'), ip: req.ip });
const tokenOf = (req: Request) => String(req.params.token ?? '');

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).setHeader('Cache-Control', NO_CACHE).setHeader('Content-Security-Policy', PAGE_POLICY).type('html').send(html);
}

/**
 * The public engagement routes (design/engagement.md): the open pixel, click redirects and
 * one-click unsubscribe. No authentication: each token is 128 random bits, and an unknown one
 * gets a small page, never a redirect.
 */
export function engagementRoutes(service: EngagementService, logger: Logger): Router {
  const router = Router();
  route(router, '/t/o/:file', {
    get: [
      async (req, res) => {
        const token = String(req.params.file ?? '').replace(/\.gif$/, '');
        // Always the GIF: a mail client shows a broken image for nothing, whatever happened to the record.
        await service.open(token, requester(req)).catch((error: unknown) => logger.warn({ err: error }, 'open not recorded'));
        res
          .status(200)
          .setHeader('Content-Type', 'image/gif')
          .setHeader('Cache-Control', NO_CACHE)
          .setHeader('Pragma', 'no-cache')
          .setHeader('Expires', '0')
          .end(PIXEL_GIF);
      },
    ],
  });
  route(router, '/t/c/:token', {
    get: [
      async (req, res) => {
        const url = await service.click(tokenOf(req), requester(req));
        if (url === undefined) return sendPage(res, 404, UNKNOWN_LINK_PAGE);
        res.setHeader('Cache-Control', NO_CACHE);
        res.redirect(302, url);
      },
    ],
  });
  route(router, '/u/:token', {
    get: [
      async (req, res) => {
        const token = tokenOf(req);
        if (!(await service.isUnsubscribeLink(token))) return sendPage(res, 404, UNKNOWN_LINK_PAGE);
        sendPage(res, 200, unsubscribeForm(token));
      },
    ],
    // RFC 8058: the mail client posts `List-Unsubscribe=One-Click`; the token alone is the proof, the body is not read.
    post: [
      async (req, res) => {
        if (!(await service.unsubscribe(tokenOf(req)))) return sendPage(res, 404, UNKNOWN_LINK_PAGE);
        sendPage(res, 200, UNSUBSCRIBED_PAGE);
      },
    ],
  });
  return router;
}

import express, { type Request, type RequestHandler, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { PUBLIC_PRINCIPAL, type Principal } from '../auth/scopes';
import { uuidParam } from '../messages/params';
import { Problem } from '../platform/errors';
import { escapeHtml } from '../platform/escape-html';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { z } from 'zod';
import type { AccountService, ClientContext } from './account-service';
import { SessionCookie } from './session-cookie';
import {
  adminCreateUserSchema,
  adminPatchUserSchema,
  loginRequestSchema,
  patchMeRequestSchema,
  refreshRequestSchema,
  registerRequestSchema,
  verifyRequestSchema,
} from './schema';

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const adminListQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});

function clientOf(req: Request): ClientContext {
  return { ip: req.ip ?? 'unknown', userAgent: req.header('user-agent') ?? null };
}

/** Requires a Herald user's access token (not an API key or a service JWT). */
export function requireUser(authenticator: Authenticator): RequestHandler[] {
  return [
    requireScope(authenticator, 'messages:read'),
    (req, _res, next) => {
      if (principalOf(req).user === undefined) {
        next(new Problem(403, 'Forbidden', 'This route is for user accounts: send the access token from /api/auth/login.'));
        return;
      }
      next();
    },
  ];
}

export function userIdOf(req: Request): string {
  const user = principalOf(req).user;
  if (user === undefined) throw new Problem(403, 'Forbidden', 'This route is for user accounts.');
  return user.id;
}

/** The caller when a bearer is sent, the public principal when none is. */
async function optionalPrincipal(authenticator: Authenticator, req: Request): Promise<Principal> {
  const header = req.header('authorization');
  return header === undefined ? PUBLIC_PRINCIPAL : authenticator.authenticate(header);
}

// The verification page: its one form posts back here, so only it may be a form target.
const VERIFY_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body></html>`;
}

/** /api/auth/*, /api/me, /api/admin/users and the /verify page (accounts.md). */
export function accountRoutes(
  service: AccountService,
  authenticator: Authenticator,
  options: {
    readonly publicRateLimit: RequestHandler;
    readonly publicUrl: string;
    readonly refreshTokenTtlS: number;
    readonly registration: 'open' | 'closed';
  },
): Router {
  const router = Router();
  const cookies = new SessionCookie(options.publicUrl, options.refreshTokenTtlS);
  const limited = options.publicRateLimit;
  const json = [requireContentType(), jsonBody('16kb')];

  route(router, '/api/auth/register', {
    post: [
      // Registering mails an address of the caller's choosing: limited per IP like the contact form.
      limited,
      ...json,
      async (req, res) => {
        const principal = await optionalPrincipal(authenticator, req);
        const input = parseOrThrow(registerRequestSchema, req.body);
        res.status(201).json(await service.register(principal, input, clientOf(req)));
      },
    ],
  });
  // What a sign-in page needs to know before anyone signs in: may visitors register here?
  route(router, '/api/auth/options', { get: [(_req, res) => void res.json({ registration: options.registration })] });
  route(router, '/api/auth/verify', {
    post: [limited, ...json, async (req, res) => void res.json(await service.verify(parseOrThrow(verifyRequestSchema, req.body).token))],
  });
  route(router, '/api/auth/verify/resend', {
    post: [...requireUser(authenticator), async (req, res) => void res.status(202).json(await service.resendVerification(userIdOf(req)))],
  });
  route(router, '/api/auth/login', {
    post: [
      ...json,
      async (req, res) => {
        const { cookie, ...input } = parseOrThrow(loginRequestSchema, req.body);
        const session = await service.login(input, clientOf(req));
        res.json(cookie === true ? cookies.keep(req, res, session) : session);
      },
    ],
  });
  route(router, '/api/auth/refresh', {
    post: [
      ...json,
      async (req, res) => {
        const sent = parseOrThrow(refreshRequestSchema, req.body).refresh_token;
        if (sent !== undefined) {
          res.json(await service.refresh(sent, clientOf(req)));
          return;
        }
        const fromCookie = cookies.read(req);
        try {
          res.json(cookies.keep(req, res, await service.refresh(fromCookie, clientOf(req))));
        } catch (error) {
          cookies.clear(req, res);
          throw error;
        }
      },
    ],
  });
  route(router, '/api/auth/logout', {
    post: [
      ...requireUser(authenticator),
      ...json,
      async (req, res) => {
        const sent = parseOrThrow(refreshRequestSchema, req.body).refresh_token;
        const token = sent ?? cookies.read(req);
        if (sent === undefined) cookies.clear(req, res);
        await service.logout(userIdOf(req), token);
        res.status(204).end();
      },
    ],
  });

  // A link scanner that fetches the link must not verify: GET shows a button, POST verifies.
  route(router, '/verify', {
    get: [
      (req, res) => {
        const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
        res.setHeader('Content-Security-Policy', VERIFY_PAGE_CSP);
        res.type('html').send(
          page(
            'Confirm your email address',
            `<h1>Confirm your email address</h1><form method="post" action="/verify"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm</button></form>`,
          ),
        );
      },
    ],
    post: [
      limited,
      requireContentType(FORM_CONTENT_TYPE),
      express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5, type: FORM_CONTENT_TYPE }),
      async (req, res) => {
        const { token } = parseOrThrow(verifyRequestSchema, req.body);
        res.setHeader('Content-Security-Policy', VERIFY_PAGE_CSP);
        try {
          await service.verify(token);
          res.type('html').send(page('Address confirmed', '<h1>Address confirmed</h1><p>You can now send with Herald.</p>'));
        } catch {
          res.status(422).type('html').send(page('Not confirmed', '<h1>This link is unknown, used or expired</h1><p>Ask for a new one from your account.</p>'));
        }
      },
    ],
  });

  route(router, '/api/me', {
    get: [...requireUser(authenticator), async (req, res) => void res.json(await service.profile(userIdOf(req)))],
    patch: [
      ...requireUser(authenticator),
      ...json,
      async (req, res) => void res.json(await service.updateProfile(userIdOf(req), parseOrThrow(patchMeRequestSchema, req.body))),
    ],
  });

  const admin = requireScope(authenticator, 'admin');
  route(router, '/api/admin/users', {
    get: [
      admin,
      async (req, res) => {
        const query = parseOrThrow(adminListQuery, req.query, 'query');
        const { count, results } = await service.adminList(query.page_size, (query.page - 1) * query.page_size);
        const link = (p: number) => `/api/admin/users?page=${p}&page_size=${query.page_size}`;
        res.json({ count, next: query.page * query.page_size < count ? link(query.page + 1) : null, previous: query.page > 1 ? link(query.page - 1) : null, results });
      },
    ],
    post: [admin, ...json, async (req, res) => void res.status(201).json(await service.adminCreate(parseOrThrow(adminCreateUserSchema, req.body)))],
  });
  route(router, '/api/admin/users/:id', {
    get: [admin, async (req, res) => void res.json(await service.adminGet(uuidParam(req, 'user')))],
    patch: [admin, ...json, async (req, res) => void res.json(await service.adminUpdate(uuidParam(req, 'user'), parseOrThrow(adminPatchUserSchema, req.body)))],
    delete: [
      admin,
      async (req, res) => {
        await service.adminDisable(uuidParam(req, 'user'));
        res.status(204).end();
      },
    ],
  });
  return router;
}

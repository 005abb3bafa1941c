import { type Request, Router } from 'express';
import { requireUser, userIdOf } from '../accounts/routes';
import type { Authenticator } from '../auth/authenticator';
import { requireScope } from '../auth/middleware';
import { uuidParam } from '../messages/params';
import { UUID_PATTERN } from '../domain/identifiers';
import { notFound } from '../platform/errors';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import type { Actor, IdentityService } from './identity-service';
import { adminCreateIdentitySchema, adminPatchIdentitySchema, createIdentitySchema, patchIdentitySchema, verifyIdentitySchema } from './schema';

function identityIdOf(req: Request): string {
  const id = req.params.identityId;
  if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw notFound('No identity with this id.');
  return id.toLowerCase();
}

/**
 * Sender identities (accounts.md): a user's own under /api/me/identities, and the same for any
 * user under /api/admin/users/:id/identities (seed 001's admin page).
 */
export function identityRoutes(service: IdentityService, authenticator: Authenticator): Router {
  const router = Router();
  const json = [requireContentType(), jsonBody('16kb')];
  const self = requireUser(authenticator);
  const admin = [requireScope(authenticator, 'admin')];
  const mount = (base: string, guard: typeof self, ownerOf: (req: Request) => string, actor: Actor) => {
    const createSchema = actor.admin ? adminCreateIdentitySchema : createIdentitySchema;
    const patchSchema = actor.admin ? adminPatchIdentitySchema : patchIdentitySchema;
    route(router, base, {
      get: [...guard, async (req, res) => void res.json(await service.list(ownerOf(req)))],
      post: [...guard, ...json, async (req, res) => void res.status(201).json(await service.create(ownerOf(req), parseOrThrow(createSchema, req.body), actor))],
    });
    route(router, `${base}/:identityId`, {
      get: [...guard, async (req, res) => void res.json(await service.get(ownerOf(req), identityIdOf(req)))],
      patch: [...guard, ...json, async (req, res) => void res.json(await service.update(ownerOf(req), identityIdOf(req), parseOrThrow(patchSchema, req.body), actor))],
      delete: [
        ...guard,
        async (req, res) => {
          await service.remove(ownerOf(req), identityIdOf(req));
          res.status(204).end();
        },
      ],
    });
    route(router, `${base}/:identityId/verify`, {
      post: [...guard, ...json, async (req, res) => void res.json(await service.verify(ownerOf(req), identityIdOf(req), parseOrThrow(verifyIdentitySchema, req.body).code))],
    });
    route(router, `${base}/:identityId/check`, {
      post: [...guard, async (req, res) => void res.json(await service.check(ownerOf(req), identityIdOf(req)))],
    });
  };
  mount('/api/me/identities', self, userIdOf, { admin: false });
  mount('/api/admin/users/:id/identities', admin, (req) => uuidParam(req, 'user'), { admin: true });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import { ApiKeyService } from '../auth/api-keys';
import type { ApiKeyRepository } from '../auth/api-key-repository';
import type { Authenticator } from '../auth/authenticator';
import { requireScope } from '../auth/middleware';
import { SCOPES } from '../auth/scopes';
import type { ApiKeyRow } from '../auth/tables';
import { uuidParam } from '../messages/params';
import { notFound } from '../platform/errors';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import type { AdminOverview } from './overview';

export const createKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
});

export const apiKeyViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().meta({ description: 'The first characters of the key, to recognise it; never the key.' }),
  scopes: z.array(z.string()),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;
export const createdKeySchema = apiKeyViewSchema.extend({ key: z.string().meta({ description: 'The secret: shown in this answer only.' }) });

function toKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

/** The admin JSON the console reads: /api/admin/overview and /api/admin/keys (what `herald keys` does). */
export function adminRoutes(overview: AdminOverview, apiKeys: ApiKeyRepository, authenticator: Authenticator): Router {
  const router = Router();
  const admin = requireScope(authenticator, 'admin');
  const keys = new ApiKeyService(apiKeys);
  route(router, '/api/admin/overview', { get: [admin, async (_req, res) => void res.json(await overview.read())] });
  route(router, '/api/admin/keys', {
    get: [admin, async (_req, res) => void res.json({ results: (await keys.list()).map(toKeyView) })],
    post: [
      admin,
      requireContentType(),
      jsonBody('4kb'),
      async (req, res) => {
        const input = parseOrThrow(createKeyRequestSchema, req.body);
        const created = await keys.create(input.name, [...new Set(input.scopes)]);
        res.status(201).json({ ...toKeyView(created.row), key: created.key });
      },
    ],
  });
  route(router, '/api/admin/keys/:id', {
    delete: [
      admin,
      async (req, res) => {
        if (!(await keys.revoke(uuidParam(req, 'API key')))) throw notFound('No active API key with this id.');
        res.status(204).end();
      },
    ],
  });
  return router;
}

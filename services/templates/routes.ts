import { type Request, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import type { ContactService } from '../contacts/contact-service';
import { templateData } from '../notifications/templated-composer';
import { notFound } from '../platform/errors';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { createTemplateSchema, previewSchema, TEMPLATE_NAME_PATTERN, updateTemplateSchema } from './schema';
import type { TemplateService } from './template-service';

function nameParam(req: Request): string {
  const name = req.params.name;
  if (typeof name !== 'string' || !TEMPLATE_NAME_PATTERN.test(name)) throw notFound('No template with this name.');
  return name;
}

function versionParam(req: Request): number {
  const version = req.params.version;
  if (typeof version !== 'string' || !/^[1-9][0-9]{0,8}$/.test(version)) throw notFound('No such version.');
  return Number(version);
}

/** templates.md: `templates:write` saves, `messages:read` reads and previews. */
export function templateRoutes(templates: TemplateService, contacts: ContactService, authenticator: Authenticator): Router {
  const router = Router();
  const read = requireScope(authenticator, 'messages:read');
  const write = requireScope(authenticator, 'templates:write');
  route(router, '/api/templates', {
    get: [read, async (req, res) => void res.json(await templates.list(principalOf(req)))],
    post: [
      write,
      requireContentType(),
      jsonBody('2mb'),
      async (req, res) => {
        const input = parseOrThrow(createTemplateSchema, req.body);
        const created = await templates.create(principalOf(req), input);
        res.status(201).location(`/api/templates/${created.name}`).json(created);
      },
    ],
  });
  route(router, '/api/templates/:name', {
    get: [read, async (req, res) => void res.json(await templates.get(principalOf(req), nameParam(req)))],
    put: [
      write,
      requireContentType(),
      jsonBody('2mb'),
      async (req, res) => {
        const name = nameParam(req);
        const input = parseOrThrow(updateTemplateSchema, req.body);
        res.json(await templates.update(principalOf(req), name, input));
      },
    ],
    delete: [
      write,
      async (req, res) => {
        await templates.archive(principalOf(req), nameParam(req));
        res.status(204).end();
      },
    ],
  });
  route(router, '/api/templates/:name/versions', {
    get: [read, async (req, res) => void res.json(await templates.versions(principalOf(req), nameParam(req)))],
  });
  route(router, '/api/templates/:name/versions/:version', {
    get: [read, async (req, res) => void res.json(await templates.version(principalOf(req), nameParam(req), versionParam(req)))],
  });
  route(router, '/api/templates/:name/preview', {
    post: [
      read,
      requireContentType(),
      jsonBody('1mb'),
      async (req, res) => {
        const name = nameParam(req);
        const principal = principalOf(req);
        const input = parseOrThrow(previewSchema, req.body);
        const contact = input.contact_id === undefined ? undefined : await contacts.findOwned(principal.clientId, input.contact_id);
        res.json(await templates.preview(principal, name, input, templateData(input.variables, contact)));
      },
    ],
  });
  return router;
}

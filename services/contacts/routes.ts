import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { principalOf, requireScope } from '../auth/middleware';
import { uuidParam } from '../messages/params';
import { Problem, validationFailed } from '../platform/errors';
import { jsonBody, requireContentType, route, textBody } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import { parseCsvImport, parseJsonImport, TooManyRowsError } from './contact-import';
import type { ContactService } from './contact-service';
import { contactListQuerySchema, createContactSchema, updateContactSchema } from './schema';

const CSV_TYPES = ['text/csv', 'application/csv'];
const ATTRIBUTE_FILTER = /^attribute\.([A-Za-z0-9_.-]{1,128})$/;

/** Filters `attribute.<key>=value` from a query string. */
function attributeFilters(query: Record<string, unknown>): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const name = ATTRIBUTE_FILTER.exec(key)?.[1];
    if (name === undefined) continue;
    if (typeof value !== 'string') throw validationFailed([{ field: `query.${key}`, message: 'give each attribute filter once' }]);
    filters[name] = value;
  }
  return filters;
}

/** templates.md, Contacts: `contacts:write` changes, `messages:read` reads. */
export function contactRoutes(contacts: ContactService, authenticator: Authenticator): Router {
  const router = Router();
  const read = requireScope(authenticator, 'messages:read');
  const write = requireScope(authenticator, 'contacts:write');
  route(router, '/api/contacts', {
    get: [
      read,
      async (req, res) => {
        const query = req.query as Record<string, unknown>;
        const known = Object.fromEntries(Object.entries(query).filter(([key]) => !key.startsWith('attribute.')));
        const parsed = parseOrThrow(contactListQuerySchema, known, 'query');
        res.json(await contacts.list(principalOf(req), { ...parsed, attributes: attributeFilters(query) }));
      },
    ],
    post: [
      write,
      requireContentType(),
      jsonBody('64kb'),
      async (req, res) => {
        const created = await contacts.create(principalOf(req), parseOrThrow(createContactSchema, req.body));
        res.status(201).location(`/api/contacts/${created.id}`).json(created);
      },
    ],
  });
  route(router, '/api/contacts/import', {
    post: [
      write,
      requireContentType(...CSV_TYPES),
      jsonBody('32mb'),
      textBody('32mb', CSV_TYPES),
      async (req, res) => {
        const body: unknown = req.body;
        try {
          let parsed;
          if (typeof body === 'string') parsed = parseCsvImport(body);
          else if (Array.isArray(body)) parsed = parseJsonImport(body);
          else throw validationFailed([{ field: '(body)', message: 'send a JSON array of contacts or a CSV file (text/csv)' }]);
          res.json(await contacts.import(principalOf(req), parsed));
        } catch (error) {
          if (error instanceof TooManyRowsError) throw new Problem(413, 'Content Too Large', error.message);
          throw error;
        }
      },
    ],
  });
  route(router, '/api/contacts/:id', {
    get: [read, async (req, res) => void res.json(await contacts.get(principalOf(req), uuidParam(req, 'contact')))],
    patch: [
      write,
      requireContentType(),
      jsonBody('64kb'),
      async (req, res) => {
        const id = uuidParam(req, 'contact');
        res.json(await contacts.update(principalOf(req), id, parseOrThrow(updateContactSchema, req.body)));
      },
    ],
    delete: [
      write,
      async (req, res) => {
        await contacts.delete(principalOf(req), uuidParam(req, 'contact'));
        res.status(204).end();
      },
    ],
  });
  route(router, '/api/contacts/:id/messages', {
    get: [read, async (req, res) => void res.json(await contacts.history(principalOf(req), uuidParam(req, 'contact')))],
  });
  return router;
}

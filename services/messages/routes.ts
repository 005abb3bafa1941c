import { type RequestHandler, Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/scopes';
import { principalOf, requireScope } from '../auth/middleware';
import { route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import type { MessageActions } from './message-actions';
import { type ListQuery, listQuerySchema } from './pagination';
import { uuidParam } from './params';

/** What the read routes of one kind of message call. */
export interface MessageReads {
  list(principal: Principal, path: string, query: ListQuery): Promise<unknown>;
  get(principal: Principal, id: string): Promise<unknown>;
  events(principal: Principal, id: string): Promise<unknown>;
}

/** GET `path` (a page, `messages:read`): to register beside the kind's POST. */
export function listHandlers(reads: MessageReads, authenticator: Authenticator, path: string): RequestHandler[] {
  return [
    requireScope(authenticator, 'messages:read'),
    async (req, res) => {
      const query = parseOrThrow(listQuerySchema, req.query, 'query');
      res.json(await reads.list(principalOf(req), path, query));
    },
  ];
}

/** GET `path/:id` (the detail) and GET `path/:id/events`, both `messages:read`, owner or admin only. */
export function detailRoutes(router: Router, reads: MessageReads, authenticator: Authenticator, path: string, what: string): void {
  route(router, `${path}/:id`, {
    get: [requireScope(authenticator, 'messages:read'), async (req, res) => void res.json(await reads.get(principalOf(req), uuidParam(req, what)))],
  });
  route(router, `${path}/:id/events`, {
    get: [requireScope(authenticator, 'messages:read'), async (req, res) => void res.json(await reads.events(principalOf(req), uuidParam(req, what)))],
  });
}

/** POST /api/notify/:id/cancel (notify:send) and POST /api/messages/:id/retry (admin). */
export function messageActionRoutes(actions: MessageActions, authenticator: Authenticator): Router {
  const router = Router();
  route(router, '/api/notify/:id/cancel', {
    post: [
      requireScope(authenticator, 'notify:send'),
      async (req, res) => {
        res.json(await actions.cancelNotification(principalOf(req), uuidParam(req, 'notification')));
      },
    ],
  });
  route(router, '/api/messages/:id/retry', {
    post: [
      requireScope(authenticator, 'admin'),
      async (req, res) => {
        res.status(202).json(await actions.retry(uuidParam(req)));
      },
    ],
  });
  return router;
}

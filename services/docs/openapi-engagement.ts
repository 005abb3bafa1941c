import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { statsResponseSchema } from '../engagement/stats-schema';
import { addSuppressionSchema, suppressionListQuerySchema, suppressionPageSchema, suppressionViewSchema } from '../suppressions/schema';
import type { OpenApiParts } from './openapi-templates';

/** The paths of engagement.md this service answers: tracking, unsubscribe, suppressions, statistics. */
export function registerEngagementPaths(registry: OpenAPIRegistry, parts: Pick<OpenApiParts, 'json' | 'problem' | 'common' | 'authErrors' | 'bearer'>): void {
  const { json, problem, common, authErrors, bearer } = parts;
  const Suppression = suppressionViewSchema.meta({ id: 'Suppression' });
  const Stats = statsResponseSchema.meta({ id: 'EngagementStats' });
  const tokenParams = z.object({ token: z.string().meta({ description: '22 characters of base64url: 128 random bits' }) });
  const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
  // The query as given; the schema's transform fills the defaults.
  const statsQuery = z.object({ from: z.iso.date().optional(), to: z.iso.date().optional(), tag: z.string().optional() });

  registry.registerPath({
    method: 'get',
    path: '/t/o/{token}.gif',
    summary: 'The open pixel: always the 43-byte GIF, uncached; records `opened` when the token is a message’s pixel',
    request: { params: tokenParams },
    responses: { '200': { description: 'A transparent 1×1 GIF', content: { 'image/gif': { schema: z.string().meta({ format: 'binary' }) } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/t/c/{token}',
    summary: 'A tracked link: 302 to its stored target, recording `clicked`; never a redirect anywhere else',
    request: { params: tokenParams },
    responses: {
      '302': { description: 'To the link’s target', headers: { Location: { schema: { type: 'string' } } } },
      '404': html('Unknown or altered token: a small page, no Location'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/u/{token}',
    summary: 'The unsubscribe page: a button that posts the link; showing it changes nothing',
    request: { params: tokenParams },
    responses: { '200': html('The page'), '404': html('Unknown token') },
  });
  registry.registerPath({
    method: 'post',
    path: '/u/{token}',
    summary: 'One-click unsubscribe (RFC 8058): the token is the proof; the body (List-Unsubscribe=One-Click) is not read',
    request: { params: tokenParams },
    responses: { '200': html('Unsubscribed'), '404': html('Unknown token') },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/suppressions',
    summary: 'Suppressed addresses that hold for the caller (its own and those for every client), newest first; `suppressions:write`',
    security: bearer,
    request: { query: suppressionListQuerySchema },
    responses: { '200': json(suppressionPageSchema, 'One page'), '422': problem('Invalid query'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/suppressions',
    summary: 'Suppress an address for the caller (replacing its entry); `suppressions:write`',
    security: bearer,
    request: { body: { content: { 'application/json': { schema: addSuppressionSchema } } } },
    responses: { '201': json(Suppression, 'Suppressed'), ...common, ...authErrors },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/suppressions/{address}',
    summary: 'Remove the caller’s entry for an address (an admin’s also removes the entry for every client); `suppressions:write`',
    security: bearer,
    request: { params: z.object({ address: z.string() }) },
    responses: { '204': { description: 'Removed' }, '404': problem('No suppression for this address'), '422': problem('Not an address'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/stats',
    summary: 'Engagement of the messages accepted in a range of UTC days, per day and in total; `messages:read`',
    security: bearer,
    request: { query: statsQuery },
    responses: { '200': json(Stats, 'Counts and rates over delivered'), '422': problem('Invalid range'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/templates/{name}/stats',
    summary: 'The same for the messages rendered from one template; `messages:read`',
    security: bearer,
    request: { params: z.object({ name: z.string() }), query: statsQuery.omit({ tag: true }) },
    responses: { '200': json(Stats, 'Counts and rates over delivered'), '404': problem('No such template'), '422': problem('Invalid range'), ...authErrors },
  });
}

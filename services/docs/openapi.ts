import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { stringify } from 'yaml';
import { z } from 'zod';
import { contactRequestSchema } from '../contact-form/schema';
import { MESSAGE_STATUSES } from '../domain/message-statuses';
import { listQuerySchema } from '../messages/pagination';
import { acceptedResponseSchema, attemptViewSchema, contactViewSchema, eventViewSchema, notificationViewSchema } from '../messages/views';
import { batchItemSchema, batchResultSchema, notifyRequestSchema } from '../notifications/schema';
import { registerTemplatePaths } from './openapi-templates';

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const Accepted = acceptedResponseSchema.meta({ id: 'Accepted' });
const ContactRequest = contactRequestSchema.meta({ id: 'ContactRequest' });
const Contact = contactViewSchema.meta({ id: 'ContactMessage' });
const NotifyRequest = notifyRequestSchema.meta({ id: 'NotifyRequest' });
const Notification = notificationViewSchema.meta({ id: 'Notification' });
const Attempt = attemptViewSchema.meta({ id: 'DeliveryAttempt' });
const MessageEvent = eventViewSchema.meta({ id: 'MessageEvent' });
const Events = z.object({ results: z.array(MessageEvent) });
const BatchItem = batchItemSchema.meta({ id: 'BatchItem' });
const BatchResult = batchResultSchema.meta({ id: 'BatchResult' });
const StatusChange = z
  .object({ id: z.string().uuid(), kind: z.enum(['contact', 'notification']), status: z.enum(MESSAGE_STATUSES) })
  .meta({ id: 'StatusChange' });

const pageOf = (item: z.ZodType) =>
  z.object({ count: z.number().int(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(item) });

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const Problem = problemSchema.meta({ id: 'Problem' });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const idempotencyHeader = z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional() });
const idParams = z.object({ id: z.string().uuid() });
const bearer = [{ bearer: [] }];

/** Builds the OpenAPI document from the same zod schemas that validate requests. */
export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (hrld_…) or an HS256 JWT with audience "herald" and a scope claim.',
  });
  const common = {
    '400': problem('Malformed JSON'),
    '413': problem('Body too large'),
    '422': problem('Invalid fields, or an Idempotency-Key reused with another body'),
    '503': problem('The database is unavailable, or the api is reading as many request bodies as MAX_BODY_BYTES_IN_FLIGHT allows; see Retry-After'),
  };
  const authErrors = { '401': problem('Missing or invalid credential'), '403': problem('Missing scope') };
  const rateLimited = { '429': problem('Rate limit used up; see the RateLimit, RateLimit-Policy and Retry-After headers') };

  registry.registerPath({
    method: 'post',
    path: '/api/contact',
    summary: 'Accept a message from a public contact form',
    description:
      'JSON, or a plain HTML form (application/x-www-form-urlencoded). A form whose `redirect` field is in CONTACT_REDIRECT_ALLOWLIST is answered with 303 to it. ' +
      '`website` is a honeypot: leave it empty. Limited per client IP (CONTACT_RATE_LIMIT per minute).',
    request: {
      headers: idempotencyHeader,
      body: { content: { 'application/json': { schema: ContactRequest }, 'application/x-www-form-urlencoded': { schema: ContactRequest } } },
    },
    responses: {
      '202': json(Accepted, 'Accepted; replays carry Idempotent-Replayed: true'),
      '303': { description: 'Accepted; a form post is sent on to its allowed `redirect`' },
      '403': problem('The Origin is not in CONTACT_ALLOWED_ORIGINS'),
      '415': problem('Neither JSON nor a URL-encoded form'),
      ...rateLimited,
      ...common,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contact',
    summary: 'List contact messages, newest first',
    security: bearer,
    request: { query: listQuerySchema },
    responses: { '200': json(pageOf(Contact), 'A page of contact messages'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contact/{id}',
    summary: 'Read one contact message with its delivery attempts and events',
    security: bearer,
    request: { params: idParams },
    responses: {
      '200': json(contactViewSchema.extend({ attempts: z.array(Attempt), events: z.array(MessageEvent) }), 'The message'),
      '404': problem('Unknown id'),
      ...authErrors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contact/{id}/events',
    summary: 'What happened to one contact message, oldest first',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(Events, 'The events'), '404': problem('Unknown id'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/notify',
    summary: 'Send a notification email',
    security: bearer,
    request: { headers: idempotencyHeader, body: { content: { 'application/json': { schema: NotifyRequest } } } },
    responses: { '202': json(Accepted, 'Accepted'), ...common, ...authErrors, ...rateLimited },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/notify/batch',
    summary: 'Send up to 1000 notifications, each with its own idempotency key',
    security: bearer,
    request: { body: { content: { 'application/json': { schema: z.object({ items: z.array(BatchItem).min(1).max(1000) }) } } } },
    responses: {
      '202': json(z.object({ accepted: z.number().int(), rejected: z.number().int(), results: z.array(BatchResult) }), 'Per-item results'),
      ...common,
      ...authErrors,
      ...rateLimited,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/notify',
    summary: 'List notifications, newest first',
    security: bearer,
    request: { query: listQuerySchema },
    responses: { '200': json(pageOf(Notification), 'A page of notifications'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/notify/{id}',
    summary: 'Read one notification with its delivery attempts and events',
    security: bearer,
    request: { params: idParams },
    responses: {
      '200': json(notificationViewSchema.extend({ attempts: z.array(Attempt), events: z.array(MessageEvent) }), 'The notification'),
      '404': problem('Unknown id, or a notification of another client'),
      ...authErrors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/notify/{id}/events',
    summary: 'What happened to one notification (sent, failed, cancelled, …), oldest first',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(Events, 'The events'), '404': problem('Unknown id, or a notification of another client'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/notify/{id}/cancel',
    summary: 'Cancel a notification that has not been sent yet',
    security: bearer,
    request: { params: idParams },
    responses: {
      '200': json(StatusChange, 'Cancelled'),
      '404': problem('Unknown id, or a notification of another client'),
      '409': problem('Already sending or finished'),
      ...authErrors,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/messages/{id}/retry',
    summary: 'Re-queue a failed contact message or notification (admin)',
    security: bearer,
    request: { params: idParams },
    responses: {
      '202': json(StatusChange, 'Queued again (pending if the queue is unreachable)'),
      '404': problem('Unknown id'),
      '409': problem('The message has not failed'),
      ...authErrors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics in the text exposition format; a bearer METRICS_TOKEN when one is set',
    responses: {
      '200': { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } },
      '401': problem('METRICS_TOKEN is set and the bearer token is missing or wrong'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/queues',
    summary: 'The queue dashboard (bull-board); an admin API key as bearer or as the HTTP basic password',
    responses: {
      '200': { description: 'The dashboard', content: { 'text/html': { schema: z.string() } } },
      ...authErrors,
    },
  });
  registerTemplatePaths(registry, { json, problem, common, authErrors, rateLimited, idempotencyHeader, bearer });
  for (const path of ['/livez', '/readyz', '/healthz']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: { '/livez': 'The process is alive', '/readyz': 'Database and Redis reachable, and the process not shutting down', '/healthz': 'Database, Redis and workers' }[path],
      responses: { '200': json(z.object({ status: z.string() }).passthrough(), 'OK'), '503': json(z.object({ status: z.string() }).passthrough(), 'Not OK') },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Herald',
      version: '0.1.0',
      description: 'Queue-backed notification service. Errors are RFC 9457 application/problem+json.',
    },
    servers: [{ url: 'http://localhost:8002' }],
  });
}

/** The document as committed in openapi.yaml. */
export function renderOpenApiYaml(): string {
  return `# Generated by \`npm run openapi\` from the zod schemas; do not edit by hand.\n${stringify(buildOpenApiDocument(), { aliasDuplicateObjects: false })}`;
}

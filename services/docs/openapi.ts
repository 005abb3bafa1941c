import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { stringify } from 'yaml';
import { z } from 'zod';
import {
  adminCreateUserSchema,
  adminPatchUserSchema,
  loginRequestSchema,
  patchMeRequestSchema,
  profileViewSchema,
  refreshRequestSchema,
  registerRequestSchema,
  sessionResponseSchema,
  tokenPairSchema,
  userPageSchema,
  userViewSchema,
  verifyRequestSchema,
} from '../accounts/schema';
import { overviewViewSchema } from '../admin/overview';
import { apiKeyViewSchema, createdKeySchema, createKeyRequestSchema } from '../admin/routes';
import { attachmentViewSchema } from '../attachments/schema';
import { contactRequestSchema } from '../contact-form/schema';
import { MESSAGE_STATUSES } from '../domain/message-statuses';
import { listQuerySchema } from '../messages/pagination';
import { acceptedResponseSchema, attemptViewSchema, contactViewSchema, eventViewSchema, notificationViewSchema } from '../messages/views';
import { batchItemSchema, batchResultSchema, notifyRequestSchema } from '../notifications/schema';
import { createEndpointSchema, deliveryViewSchema, endpointViewSchema, testResultSchema, updateEndpointSchema } from '../webhooks/schema';
import { emailValidationSchema, resultFilterSchema, validateBatchRequestSchema, validateEmailRequestSchema } from '../validation/schema';
import { VALIDATION_JOB_STATUSES } from '../validation/tables';
import { VALIDATION_RESULTS } from '../validation/verdict';
import { registerProviderEventPaths } from './openapi-provider-events';
import { registerIdentityPaths } from './openapi-identities';
import { registerEngagementPaths } from './openapi-engagement';
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
const AttachmentView = attachmentViewSchema.meta({ id: 'Attachment' });
const User = userViewSchema.meta({ id: 'User' });
const Profile = profileViewSchema.meta({ id: 'Profile' });
const TokenPair = tokenPairSchema.meta({ id: 'TokenPair' });
const Session = sessionResponseSchema.meta({ id: 'Session' });
const BatchResult = batchResultSchema.meta({ id: 'BatchResult' });
const EmailValidation = emailValidationSchema.meta({ id: 'EmailValidation' });
const ValidationJob = z
  .object({
    job_id: z.string().uuid(),
    status: z.enum(VALIDATION_JOB_STATUSES),
    total: z.number().int(),
    processed: z.number().int(),
    progress: z.number().min(0).max(1),
    counts: z.object(Object.fromEntries(VALIDATION_RESULTS.map((r) => [r, z.number().int()]))),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'ValidationJob' });
const StatusChange = z
  .object({ id: z.string().uuid(), kind: z.enum(['contact', 'notification']), status: z.enum(MESSAGE_STATUSES) })
  .meta({ id: 'StatusChange' });

const WebhookEndpoint = endpointViewSchema.meta({ id: 'WebhookEndpoint' });
const WebhookDelivery = deliveryViewSchema.meta({ id: 'WebhookDelivery' });

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
    description: 'An API key (hrld_…), an HS256 JWT with audience "herald" and a scope claim, or a user access token from /api/auth/login.',
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
      '200': json(notificationViewSchema.extend({ attachments: z.array(AttachmentView), attempts: z.array(Attempt), events: z.array(MessageEvent) }), 'The notification'),
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
  const webhookParams = idParams;
  const webhookPaths: Parameters<typeof registry.registerPath>[0][] = [
    { method: 'get', path: '/api/webhooks', summary: "The caller's webhook endpoints", responses: { '200': json(z.object({ results: z.array(WebhookEndpoint) }), 'The endpoints') } },
    {
      method: 'post',
      path: '/api/webhooks',
      summary: 'Add a webhook endpoint; the answer shows its whsec_ secret once',
      request: { body: { content: { 'application/json': { schema: createEndpointSchema.meta({ id: 'WebhookEndpointRequest' }) } } } },
      responses: { '201': json(WebhookEndpoint, 'Created, with the secret'), '422': problem('Invalid fields, or a url that is not https or not a public address'), '503': problem('CREDENTIALS_KEYS is not set') },
    },
    { method: 'get', path: '/api/webhooks/{id}', summary: 'One endpoint', request: { params: webhookParams }, responses: { '200': json(WebhookEndpoint, 'The endpoint'), '404': problem('Unknown id, or an endpoint of another client') } },
    {
      method: 'patch',
      path: '/api/webhooks/{id}',
      summary: 'Change an endpoint, re-enable it, or rotate its secret (the old one signs too for 24 h)',
      request: { params: webhookParams, body: { content: { 'application/json': { schema: updateEndpointSchema.meta({ id: 'WebhookEndpointPatch' }) } } } },
      responses: { '200': json(WebhookEndpoint, 'Changed; with the new secret after a rotation'), '404': problem('Unknown id'), '422': problem('Invalid fields') },
    },
    { method: 'delete', path: '/api/webhooks/{id}', summary: 'Delete an endpoint and its delivery log', request: { params: webhookParams }, responses: { '204': { description: 'Deleted' }, '404': problem('Unknown id') } },
    {
      method: 'post',
      path: '/api/webhooks/{id}/test',
      summary: 'Send a webhook.test event now and answer what the receiver said',
      request: { params: webhookParams },
      responses: { '200': json(testResultSchema.meta({ id: 'WebhookTestResult' }), 'The receiver answered, or why not'), '404': problem('Unknown id') },
    },
    {
      method: 'get',
      path: '/api/webhooks/{id}/deliveries',
      summary: 'The delivery log, newest first (100), each with its tries',
      request: { params: webhookParams },
      responses: { '200': json(z.object({ results: z.array(WebhookDelivery) }), 'The deliveries'), '404': problem('Unknown id') },
    },
    {
      method: 'post',
      path: '/api/webhooks/{id}/deliveries/{delivery_id}/replay',
      summary: 'Send a delivery again (the same webhook-id)',
      request: { params: z.object({ id: z.string().uuid(), delivery_id: z.string().uuid() }) },
      responses: { '202': json(z.object({ id: z.string().uuid(), status: z.literal('pending') }), 'Queued'), '404': problem('Unknown endpoint or delivery') },
    },
  ];
  for (const path of webhookPaths) registry.registerPath({ ...path, security: bearer, responses: { ...path.responses, ...authErrors } });
  registry.registerPath({
    method: 'get',
    path: '/api/notify/{id}/attachments/{n}',
    summary: 'Download file number n (from 0) of a notification, byte for byte as accepted',
    security: bearer,
    request: { params: idParams.extend({ n: z.string().regex(/^\d{1,2}$/) }) },
    responses: {
      '200': { description: 'The file, as an attachment download', content: { 'application/octet-stream': { schema: z.string() } } },
      '404': problem('Unknown id or number, or a notification of another client'),
      ...authErrors,
    },
  });
  registerAccountPaths(registry, { common, authErrors });
  registerIdentityPaths(registry, { json, problem, common, authErrors, bearer });
  const validateErrors = { ...authErrors, '400': problem('Malformed JSON'), '415': problem('Not JSON'), '422': problem('Invalid fields') };
  registry.registerPath({
    method: 'post',
    path: '/api/validate/email',
    summary: 'Validate one address: syntax, DNS (MX, null MX, A fallback), disposable, role, free provider, typo',
    description: 'Needs the `validate` scope. `result` and `score` follow the table in the README. A DNS timeout or SERVFAIL is `unknown`, never `undeliverable`.',
    security: bearer,
    request: { body: { content: { 'application/json': { schema: validateEmailRequestSchema } } } },
    responses: { '200': json(EmailValidation, 'The verdict and the checks behind it'), ...validateErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/validate/batch',
    summary: 'Validate up to 1000 addresses; answers in order, each domain looked up once',
    security: bearer,
    request: { body: { content: { 'application/json': { schema: validateBatchRequestSchema } } } },
    responses: { '200': json(z.object({ results: z.array(EmailValidation) }), 'One answer per address, in order'), ...validateErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/validate/jobs',
    summary: 'Validate a file of up to 100,000 addresses (10 MB) in the background',
    description: 'text/plain: one address per line. text/csv: a header row with an `email` column. Processed in chunks by the workers.',
    security: bearer,
    request: { body: { content: { 'text/plain': { schema: z.string() }, 'text/csv': { schema: z.string() } } } },
    responses: {
      '202': json(z.object({ job_id: z.string().uuid(), status: z.literal('queued'), total: z.number().int() }), 'Queued; Location names the job'),
      ...authErrors,
      '413': problem('Body over 10 MB'),
      '415': problem('Neither text/plain nor text/csv'),
      '422': problem('No address, no email column, or more than 100,000 lines'),
      '503': problem('The database is unavailable, or too many request bodies are being read'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/validate/jobs/{id}',
    summary: 'A validation job: status, progress and counts by result',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(ValidationJob, 'The job'), ...authErrors, '404': problem('No such job') },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/validate/jobs/{id}',
    summary: 'Cancel a queued or running validation job; lines already done keep their results',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(ValidationJob, 'The cancelled job'), ...authErrors, '404': problem('No such job'), '409': problem('The job already completed') },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/validate/jobs/{id}/results',
    summary: 'Processed lines of a job, in line order, a page at a time, optionally of one result',
    security: bearer,
    request: { params: idParams, query: resultFilterSchema },
    responses: {
      '200': json(
        z.object({
          count: z.number().int(),
          page: z.number().int(),
          page_size: z.number().int(),
          results: z.array(z.object({ line: z.number().int(), email: z.string(), result: z.enum(VALIDATION_RESULTS), score: z.number().int() }).passthrough()),
        }),
        'One page',
      ),
      ...authErrors,
      '404': problem('No such job'),
      '422': problem('Invalid query'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/validate/jobs/{id}/results.csv',
    summary: 'Every processed line of a job as CSV (optionally ?result=…)',
    security: bearer,
    request: { params: idParams, query: resultFilterSchema.pick({ result: true }) },
    responses: { '200': { description: 'line,email,normalized,result,score,reasons,dns_status,disposable,role,free,suggestion', content: { 'text/csv': { schema: z.string() } } }, ...authErrors, '404': problem('No such job') },
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
  registry.registerPath({
    method: 'get',
    path: '/console/',
    summary: 'The console: a single-page app of this API (console.md); its own scripts only, hashed assets under /console/assets',
    responses: { '200': { description: 'The page', content: { 'text/html': { schema: z.string() } } }, '503': { description: 'The console is not built (npm run build)' } },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/admin/overview',
    summary: 'Messages of the last 24 h by status, deliveries per minute over the last hour, provider tries and circuits, the queue and live workers (admin)',
    security: bearer,
    responses: { '200': json(overviewViewSchema.meta({ id: 'Overview' }), 'The overview'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/admin/keys',
    summary: 'List API keys, never their secrets (admin)',
    security: bearer,
    responses: { '200': json(z.object({ results: z.array(apiKeyViewSchema.meta({ id: 'ApiKey' })) }), 'Every key, newest first'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/admin/keys',
    summary: 'Create an API key; the key is in this answer only (admin)',
    security: bearer,
    request: { body: { content: { 'application/json': { schema: createKeyRequestSchema } } } },
    responses: { '201': json(createdKeySchema, 'The key, with its secret'), '422': problem('Invalid fields'), ...authErrors },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/admin/keys/{id}',
    summary: 'Revoke an API key; the api refuses it once its cached lookup expires (5 s) (admin)',
    security: bearer,
    request: { params: z.object({ id: z.string().uuid() }) },
    responses: { '204': { description: 'Revoked' }, '404': problem('No active key with this id'), ...authErrors },
  });
  registerTemplatePaths(registry, { json, problem, common, authErrors, rateLimited, idempotencyHeader, bearer });
  registerProviderEventPaths(registry, { json, problem });
  registerEngagementPaths(registry, { json, problem, common, authErrors, bearer });
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

type Responses = Record<string, ReturnType<typeof problem>>;

/** accounts.md: users, sessions and admin user management. */
function registerAccountPaths(registry: OpenAPIRegistry, { common, authErrors }: { common: Responses; authErrors: Responses }): void {
  const body = (schema: z.ZodType) => ({ body: { content: { 'application/json': { schema } } } });
  const noSecret = problem('JWT_SECRET is not set: the account routes need it');
  const invalid = { '422': problem('Invalid fields (a weak password names `password`)'), ...common, '503': noSecret };
  registry.registerPath({
    method: 'post',
    path: '/api/auth/register',
    summary: 'Create an account and log it in; mails a verification code',
    description: 'Public when REGISTRATION=open, otherwise an admin bearer token is required.',
    request: body(registerRequestSchema),
    responses: { '201': json(Session, 'The user and its first token pair'), '409': problem('The username or email is taken'), ...authErrors, ...invalid },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/verify',
    summary: 'Verify the account email with the code (or link token) from the verification mail',
    request: body(verifyRequestSchema),
    responses: { '200': json(z.object({ verified: z.literal(true) }), 'Verified'), ...invalid },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/verify/resend',
    summary: 'Mail another verification code (3 per hour)',
    security: bearer,
    responses: { '202': json(z.object({ sent: z.literal(true) }), 'Sent'), '409': problem('Already verified'), '429': problem('Too many; see Retry-After'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in by username or email',
    request: body(loginRequestSchema),
    responses: {
      '200': json(Session, 'The user and a token pair'),
      '401': problem('Unknown login or wrong password (one answer for both)'),
      '429': problem('10 failures in 15 minutes for the account, or 50 for the IP; see Retry-After'),
      ...invalid,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/refresh',
    summary: 'Trade a refresh token (in the body, or the session cookie of a cookie:true login) for a new pair; a used token presented again revokes its family',
    request: body(refreshRequestSchema),
    responses: {
      '200': json(TokenPair, 'A new pair; with the cookie, the new refresh token is the new cookie and not in the body'),
      '401': problem('Unknown, expired, revoked or reused token, or neither a token nor the cookie'),
      '403': problem('The cookie was sent from another origin than this API (PUBLIC_URL)'),
      ...invalid,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/auth/options',
    summary: 'What a sign-in page needs to know: whether visitors may register (REGISTRATION)',
    responses: { '200': json(z.object({ registration: z.enum(['open', 'closed']) }), 'The options') },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Revoke the session (family) of a refresh token, from the body or the session cookie (then cleared)',
    security: bearer,
    request: body(refreshRequestSchema),
    responses: { '204': { description: 'Logged out' }, ...authErrors },
  });
  registry.registerPath({ method: 'get', path: '/api/me', summary: 'The caller’s profile', security: bearer, responses: { '200': json(Profile, 'The profile'), ...authErrors } });
  registry.registerPath({
    method: 'patch',
    path: '/api/me',
    summary: 'Change the display name, or the password given the current one (ends every session)',
    security: bearer,
    request: body(patchMeRequestSchema),
    responses: { '200': json(Profile, 'The profile'), ...authErrors, ...invalid },
  });
  const userParams = z.object({ id: z.string().uuid() });
  registry.registerPath({
    method: 'get',
    path: '/api/admin/users',
    summary: 'List users (admin)',
    security: bearer,
    request: { query: z.object({ page: z.number().int().optional(), page_size: z.number().int().optional() }) },
    responses: { '200': json(userPageSchema, 'A page of users'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/admin/users',
    summary: 'Create a user (admin)',
    security: bearer,
    request: body(adminCreateUserSchema),
    responses: { '201': json(User, 'The user'), '409': problem('The username or email is taken'), ...authErrors, ...invalid },
  });
  registry.registerPath({ method: 'get', path: '/api/admin/users/{id}', summary: 'Read a user (admin)', security: bearer, request: { params: userParams }, responses: { '200': json(User, 'The user'), '404': problem('Unknown id'), ...authErrors } });
  registry.registerPath({
    method: 'patch',
    path: '/api/admin/users/{id}',
    summary: 'Set role, disabled, verified, display name or password (admin)',
    security: bearer,
    request: { params: userParams, ...body(adminPatchUserSchema) },
    responses: { '200': json(User, 'The user'), '404': problem('Unknown id'), ...authErrors, ...invalid },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/admin/users/{id}',
    summary: 'Disable a user and end its sessions; its messages stay (admin)',
    security: bearer,
    request: { params: userParams },
    responses: { '204': { description: 'Disabled' }, '404': problem('Unknown id'), ...authErrors },
  });
}

/** The document as committed in openapi.yaml. */
export function renderOpenApiYaml(): string {
  return `# Generated by \`npm run openapi\` from the zod schemas; do not edit by hand.\n${stringify(buildOpenApiDocument(), { aliasDuplicateObjects: false })}`;
}

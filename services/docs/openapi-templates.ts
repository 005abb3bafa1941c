import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { contactListQuerySchema, contactViewSchema, createContactSchema, importResultSchema, updateContactSchema } from '../contacts/schema';
import { trackResponseSchema, trackSchema } from '../conversions/schema';
import { emailSendResponseSchema, emailSendSchema } from '../notifications/schema';
import { createTemplateSchema, previewSchema, previewViewSchema, templateVersionViewSchema, templateViewSchema, updateTemplateSchema } from '../templates/schema';

/** What openapi.ts shares with the paths registered here. */
export interface OpenApiParts {
  readonly json: (schema: z.ZodType, description: string) => ResponseConfig;
  readonly problem: (description: string) => ResponseConfig;
  readonly common: Record<string, ResponseConfig>;
  readonly authErrors: Record<string, ResponseConfig>;
  readonly rateLimited: Record<string, ResponseConfig>;
  readonly idempotencyHeader: z.ZodObject;
  readonly bearer: Record<string, string[]>[];
}

/** The paths of templates.md: templates and their versions, contacts, the seed's send route, conversions. */
export function registerTemplatePaths(registry: OpenAPIRegistry, parts: OpenApiParts): void {
  const { json, problem, common, authErrors, rateLimited, idempotencyHeader, bearer } = parts;
  const Template = templateViewSchema.meta({ id: 'Template' });
  const TemplateVersion = templateVersionViewSchema.meta({ id: 'TemplateVersion' });
  const ContactRecord = contactViewSchema.meta({ id: 'Contact' });
  const nameParams = z.object({ name: z.string() });
  const idParams = z.object({ id: z.uuid() });
  const body = (schema: z.ZodType) => ({ body: { content: { 'application/json': { schema } } } });
  const invalidTemplate = problem('Invalid fields, or a template that does not compile: `errors` lists part, line and message');
  const missingVariables = problem('Invalid fields, or variables the template needs: `missing` names each; nothing was stored');

  registry.registerPath({
    method: 'post',
    path: '/api/templates',
    summary: 'Create a template (version 1); `templates:write`',
    description: 'Handlebars: {{x}} is escaped, {{{x}}} (html only) is raw; helpers if, unless, each, with, lookup; no partials. `engine: mjml` compiles html as mjml.',
    security: bearer,
    request: body(createTemplateSchema),
    responses: { '201': json(Template, 'Created'), '409': problem('The name is taken'), ...common, '422': invalidTemplate, ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/templates',
    summary: "The caller's templates and the shared ones; `messages:read`",
    security: bearer,
    responses: { '200': json(z.object({ results: z.array(Template) }), 'The templates'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/templates/{name}',
    summary: 'A template with its active version',
    security: bearer,
    request: { params: nameParams },
    responses: { '200': json(Template, 'The template'), '404': problem('Unknown or archived'), ...authErrors },
  });
  registry.registerPath({
    method: 'put',
    path: '/api/templates/{name}',
    summary: 'Save a new version and make it active; `templates:write`',
    security: bearer,
    request: { params: nameParams, ...body(updateTemplateSchema) },
    responses: { '200': json(Template, 'Saved'), '404': problem('Unknown or archived'), ...common, '422': invalidTemplate, ...authErrors },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/templates/{name}',
    summary: 'Archive a template: sends naming it are then 404; `templates:write`',
    security: bearer,
    request: { params: nameParams },
    responses: { '204': { description: 'Archived' }, '404': problem('Unknown or archived'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/templates/{name}/versions',
    summary: 'Every version, newest first',
    security: bearer,
    request: { params: nameParams },
    responses: { '200': json(z.object({ results: z.array(TemplateVersion) }), 'The versions'), '404': problem('Unknown or archived'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/templates/{name}/versions/{version}',
    summary: 'One version',
    security: bearer,
    request: { params: z.object({ name: z.string(), version: z.number().int().min(1) }) },
    responses: { '200': json(TemplateVersion, 'The version'), '404': problem('Unknown template or version'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/templates/{name}/preview',
    summary: 'Render without sending; missing variables render empty and are listed',
    security: bearer,
    request: { params: nameParams, ...body(previewSchema) },
    responses: { '200': json(previewViewSchema, 'The rendered message'), '404': problem('Unknown template, version or contact'), ...common, ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/emails/send',
    summary: "The seed's route: a templated notify answering {status, email_id, id}; `notify:send`",
    security: bearer,
    request: { headers: idempotencyHeader, ...body(emailSendSchema) },
    responses: { '202': json(emailSendResponseSchema, 'Accepted'), '404': problem('Unknown template or contact'), ...common, '422': missingVariables, ...authErrors, ...rateLimited },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/contacts',
    summary: 'Create a contact; `contacts:write`',
    security: bearer,
    request: body(createContactSchema),
    responses: { '201': json(ContactRecord, 'Created'), '409': problem('A contact with this email exists'), ...common, ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contacts',
    summary: 'List contacts; filters email, subscribed and attribute.<key>=value; `messages:read`',
    security: bearer,
    request: { query: contactListQuerySchema },
    responses: {
      '200': json(z.object({ count: z.number().int(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(ContactRecord) }), 'A page'),
      ...authErrors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contacts/{id}',
    summary: 'One contact',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(ContactRecord, 'The contact'), '404': problem('Unknown id'), ...authErrors },
  });
  registry.registerPath({
    method: 'patch',
    path: '/api/contacts/{id}',
    summary: 'Change a contact: attributes are merged, a null attribute removed; `contacts:write`',
    security: bearer,
    request: { params: idParams, ...body(updateContactSchema) },
    responses: { '200': json(ContactRecord, 'Changed'), '404': problem('Unknown id'), '409': problem('Another contact has this email'), ...common, ...authErrors },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/contacts/{id}',
    summary: 'Delete a contact; `contacts:write`',
    security: bearer,
    request: { params: idParams },
    responses: { '204': { description: 'Deleted' }, '404': problem('Unknown id'), ...authErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/contacts/{id}/messages',
    summary: 'The messages sent to a contact, newest first, with their events',
    security: bearer,
    request: { params: idParams },
    responses: { '200': json(z.object({ contact: ContactRecord, messages: z.array(z.record(z.string(), z.unknown())) }), 'The history'), '404': problem('Unknown id'), ...authErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/contacts/import',
    summary: 'Upsert up to 100,000 contacts by email from CSV (header row) or a JSON array; `contacts:write`',
    security: bearer,
    request: {
      body: {
        content: {
          'text/csv': { schema: z.string().meta({ description: 'Header row: email, first_name, last_name; other columns become attributes.' }) },
          'application/json': { schema: z.array(createContactSchema) },
        },
      },
    },
    responses: { '200': json(importResultSchema, 'Counts, with rejected rows by line'), ...common, '413': problem('Body too large, or more than 100,000 rows'), ...authErrors },
  });
  for (const path of ['/api/events/track', '/api/v1/events/track']) {
    registry.registerPath({
      method: 'post',
      path,
      summary: 'Record a conversion on a message the caller may read; `messages:read`',
      security: bearer,
      request: body(trackSchema),
      responses: { '201': json(trackResponseSchema, 'Recorded'), '404': problem('No message with this id that the caller may read'), ...common, ...authErrors },
    });
  }
}

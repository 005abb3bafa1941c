import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  adminCreateIdentitySchema,
  adminPatchIdentitySchema,
  checkResultSchema,
  createIdentitySchema,
  identityListSchema,
  identityViewSchema,
  patchIdentitySchema,
  verifyIdentitySchema,
} from '../identities/schema';
import type { OpenApiParts } from './openapi-templates';

/** accounts.md, "Sender identities": a user's own under /api/me, any user's under /api/admin/users/{id}. */
export function registerIdentityPaths(registry: OpenAPIRegistry, parts: Pick<OpenApiParts, 'json' | 'problem' | 'common' | 'authErrors' | 'bearer'>): void {
  const { json, problem, common, authErrors, bearer } = parts;
  const Identity = identityViewSchema.meta({ id: 'SenderIdentity' });
  const CheckResult = checkResultSchema.meta({ id: 'SmtpCheckResult' });
  const body = (schema: z.ZodType) => ({ body: { content: { 'application/json': { schema } } } });
  const invalid = {
    ...common,
    '422': problem('Invalid fields: an SMTP host or port the SSRF guard refuses names `smtp.host` or `smtp.port`; a new host or username without `smtp.password` names it'),
    '503': problem('CREDENTIALS_KEYS (or JWT_SECRET) is not set: `variable` names it'),
  };
  const notFound = { '404': problem('No such user or identity') };
  const variants = [
    { base: '/api/me/identities', who: 'the caller', params: z.object({}), create: createIdentitySchema, patch: patchIdentitySchema, tag: '' },
    { base: '/api/admin/users/{id}/identities', who: 'a user (admin)', params: z.object({ id: z.uuid() }), create: adminCreateIdentitySchema, patch: adminPatchIdentitySchema, tag: ' (admin)' },
  ];
  for (const { base, who, params, create, patch, tag } of variants) {
    const one = params.extend({ identityId: z.uuid() });
    registry.registerPath({
      method: 'get',
      path: base,
      summary: `The sender identities of ${who}; the account email is the first`,
      security: bearer,
      request: { params },
      responses: { '200': json(identityListSchema, 'The identities'), ...notFound, ...authErrors },
    });
    registry.registerPath({
      method: 'post',
      path: base,
      summary: `Add a sender identity${tag}, optionally with its own SMTP server; a code is mailed to the address`,
      description: 'The SMTP password is write-only (sealed with AES-256-GCM under CREDENTIALS_KEYS); answers say `password_set: true`.',
      security: bearer,
      request: { params, ...body(create) },
      responses: { '201': json(Identity, 'The identity'), '409': problem('Already an identity of the user, or 20 identities already'), ...notFound, ...authErrors, ...invalid },
    });
    registry.registerPath({ method: 'get', path: `${base}/{identityId}`, summary: `Read a sender identity${tag}`, security: bearer, request: { params: one }, responses: { '200': json(Identity, 'The identity'), ...notFound, ...authErrors } });
    registry.registerPath({
      method: 'patch',
      path: `${base}/{identityId}`,
      summary: `Change a sender identity${tag}: name, address (verified again), default, SMTP settings (null removes them)`,
      security: bearer,
      request: { params: one, ...body(patch) },
      responses: { '200': json(Identity, 'The identity'), ...notFound, ...authErrors, ...invalid },
    });
    registry.registerPath({
      method: 'delete',
      path: `${base}/{identityId}`,
      summary: `Remove a sender identity${tag}; the account email cannot be removed`,
      security: bearer,
      request: { params: one },
      responses: { '204': { description: 'Removed' }, '409': problem('The account email'), ...notFound, ...authErrors },
    });
    registry.registerPath({
      method: 'post',
      path: `${base}/{identityId}/verify`,
      summary: `Verify a sender identity${tag} with the code mailed to its address`,
      security: bearer,
      request: { params: one, ...body(verifyIdentitySchema) },
      responses: { '200': json(Identity, 'The identity, verified'), ...notFound, ...authErrors, ...invalid },
    });
    registry.registerPath({
      method: 'post',
      path: `${base}/{identityId}/check`,
      summary: `Connect to the identity's SMTP server and log in (10 s budget)${tag}; success verifies the identity`,
      description: 'The outcome is recorded (`last_check`) and answered; it never holds a secret.',
      security: bearer,
      request: { params: one },
      responses: { '200': json(CheckResult, 'What the check came to'), '409': problem('The identity has no SMTP settings'), ...notFound, ...authErrors, '503': problem('CREDENTIALS_KEYS is not set') },
    });
  }
}

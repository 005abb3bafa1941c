import { isIP } from 'node:net';
import { z } from 'zod';
import { SMTP_SECURITIES } from '../mail/identity-transports';
import { emailAddress, headerText } from '../platform/schema-helpers';

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const host = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((value) => HOST_NAME.test(value) || isIP(value.replace(/^\[|\]$/g, '')) !== 0, 'must be a host name or an IP address')
  .meta({ description: 'Host name or IP address of the SMTP server; it must resolve to public addresses (unless SMTP_ALLOW_PRIVATE_HOSTS).' });
const port = z.number().int().min(1).max(65535).meta({ description: '25, 465, 587 or 2525 (any port with SMTP_ALLOW_PRIVATE_HOSTS).' });
const security = z.enum(SMTP_SECURITIES).meta({ description: '`tls` (TLS from the start, usually 465), `starttls` (required, usually 587); `none` only with SMTP_ALLOW_PRIVATE_HOSTS.' });
const username = headerText(1, 320);
const password = z.string().min(1).max(1024).meta({ description: 'Write-only: answers say `password_set: true`.' });
const displayName = headerText(1, 100);

export const smtpSettingsSchema = z.strictObject({ host, port, security, username, password });
export type SmtpSettings = z.infer<typeof smtpSettingsSchema>;

export const createIdentitySchema = z.strictObject({
  address: emailAddress,
  display_name: displayName.nullable().optional(),
  is_default: z.boolean().optional().meta({ description: 'Make it the default From (only once verified).' }),
  smtp: smtpSettingsSchema.nullable().optional(),
});
export type CreateIdentity = z.infer<typeof createIdentitySchema>;

const smtpPatchSchema = z
  .strictObject({ host: host.optional(), port: port.optional(), security: security.optional(), username: username.optional(), password: password.optional() })
  .meta({ description: 'Changes to the SMTP settings; the password may be left out to keep it, unless the host or username changes.' });
export type SmtpPatch = z.infer<typeof smtpPatchSchema>;

export const patchIdentitySchema = z.strictObject({
  address: emailAddress.optional().meta({ description: 'A new address must be verified again.' }),
  display_name: displayName.nullable().optional(),
  is_default: z.boolean().optional(),
  smtp: smtpPatchSchema.nullable().optional().meta({ description: '`null` removes the SMTP settings.' }),
});
export type PatchIdentity = z.infer<typeof patchIdentitySchema>;

export const adminPatchIdentitySchema = patchIdentitySchema.extend({
  verified: z.boolean().optional().meta({ description: 'Mark the identity verified (or not).' }),
});
export type AdminPatchIdentity = z.infer<typeof adminPatchIdentitySchema>;

export const verifyIdentitySchema = z.strictObject({
  code: z.string().trim().min(1).max(200).meta({ description: 'The code mailed to the identity’s address.' }),
});

export const checkResultSchema = z.object({
  ok: z.boolean(),
  error_class: z.string().nullable().meta({ description: '`auth`, `connection`, `timeout`, `tls`, `unsafe-address`, `protocol`, or null when ok.' }),
  detail: z.string().meta({ description: 'What the server answered, without any secret.' }),
});
export type CheckResultView = z.infer<typeof checkResultSchema>;

export const identityViewSchema = z.object({
  id: z.string().uuid(),
  address: z.string(),
  display_name: z.string().nullable(),
  is_default: z.boolean(),
  verified: z.boolean(),
  smtp: z
    .object({ host: z.string(), port: z.number().int(), security: z.enum(SMTP_SECURITIES), username: z.string(), password_set: z.literal(true) })
    .nullable(),
  last_check: checkResultSchema.extend({ at: z.string() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type IdentityView = z.infer<typeof identityViewSchema>;

export const identityListSchema = z.object({ results: z.array(identityViewSchema) });

export const adminCreateIdentitySchema = createIdentitySchema.extend({
  verified: z.boolean().optional().meta({ description: 'Create it verified: no code is mailed.' }),
});
export type AdminCreateIdentity = z.infer<typeof adminCreateIdentitySchema>;

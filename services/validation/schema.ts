import { z } from 'zod';
import { VALIDATION_RESULTS } from './verdict';

const checksSchema = z.object({ dns: z.boolean().default(true) }).strict();
// Longer than any address can be (254 octets), yet short enough that nothing large is parsed.
const emailText = z.string().max(1024);

export const validateEmailRequestSchema = z.object({ email: emailText, checks: checksSchema.optional() }).strict();
export type ValidateEmailRequest = z.infer<typeof validateEmailRequestSchema>;

export const MAX_BATCH_ADDRESSES = 1000;
export const validateBatchRequestSchema = z.object({ emails: z.array(emailText).min(1).max(MAX_BATCH_ADDRESSES), checks: checksSchema.optional() }).strict();

const DNS_STATUSES = ['ok', 'no_mx_fallback_a', 'null_mx', 'nxdomain', 'no_records', 'timeout', 'servfail'] as const;

/** The answer for one address, for the OpenAPI document. */
export const emailValidationSchema = z.object({
  email: z.string(),
  normalized: z.string().nullable(),
  result: z.enum(VALIDATION_RESULTS),
  score: z.number().int().min(0).max(100),
  reasons: z.array(z.string()),
  checks: z.object({
    syntax: z.object({ valid: z.boolean(), reason: z.string().nullable() }),
    domain: z.object({ ascii: z.string(), unicode: z.string() }).nullable(),
    dns: z.object({ status: z.enum(DNS_STATUSES), mx: z.array(z.object({ exchange: z.string(), priority: z.number().int() })) }).nullable(),
    disposable: z.boolean(),
    role: z.boolean(),
    free: z.boolean(),
    typo: z.object({ suggestion: z.string() }).nullable(),
  }),
});

export const resultFilterSchema = z.object({
  result: z.enum(VALIDATION_RESULTS).optional(),
  page: z.coerce.number().int().min(1).max(100000).default(1),
  page_size: z.coerce.number().int().min(1).max(1000).default(100),
});

import { z } from 'zod';
import { checkEmailAddress } from './email-address';
import { type FieldError, validationFailed } from './errors';

const LINE_BREAK = /[\r\n]/;
// C0 controls other than tab, and DEL; these never belong in a header-bound value.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** A mailbox address, normalised (punycode domain); rejects anything outside RFC 5321 limits. */
export const emailAddress = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const check = checkEmailAddress(value);
    if (!check.ok) {
      ctx.addIssue({ code: 'custom', message: `invalid email address: ${check.reason}` });
      return z.NEVER;
    }
    return check.address;
  });

/** Text that ends up in a mail header: no CR, LF or other control characters. */
export const headerText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !LINE_BREAK.test(value), 'must not contain line breaks')
    .refine((value) => !CONTROL.test(value), 'must not contain control characters');

/** Body text: any characters but NUL, which Postgres text cannot store. */
export const bodyText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

/** Turns zod issues into the `errors` list of a 422 problem. */
export function toFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses untrusted input with a schema, throwing a 422 problem that lists every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailed(toFieldErrors(result.error, prefix));
  return result.data;
}

import { z } from 'zod';
import { checkEmailAddress } from './email-address';
import { type FieldError, validationFailed } from './errors';

// CR and LF, and the Unicode line breaks (NEL, line and paragraph separators) a mail client may fold on.
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;
// C0 controls other than tab, DEL, C1 controls, and the bidirectional overrides and isolates
// that make a name or subject read differently from what it is; none belongs in a header.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// Half of a UTF-16 surrogate pair on its own: not a character, and not storable as UTF-8.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** False when a JSON value nests deeper than `max` arrays or objects; iterative, so any depth is safe to ask about. */
export function withinDepth(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth += 1) {
    if (depth > max) return false;
    const next: unknown[] = [];
    for (const item of level) {
      if (item === null || typeof item !== 'object') continue;
      for (const child of Object.values(item)) next.push(child);
    }
    level = next;
  }
  return true;
}

/**
 * What Postgres would refuse in a JSON value bound for jsonb: NUL (`\u0000`) and lone UTF-16
 * surrogates, in any key or string at any depth. Empty when the value is storable. Iterative,
 * so any depth is safe to ask about.
 */
export function unstorableJsonText(value: unknown): string[] {
  let hasNul = false;
  let hasLoneSurrogate = false;
  const look = (text: string) => {
    hasNul ||= text.includes('\u0000');
    hasLoneSurrogate ||= LONE_SURROGATE.test(text);
  };
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') look(item);
    else if (Array.isArray(item)) for (const child of item) pending.push(child);
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        look(key);
        pending.push(child);
      }
    }
  }
  const problems: string[] = [];
  if (hasNul) problems.push('must not contain NUL characters, in keys or values');
  if (hasLoneSurrogate) problems.push('must be valid Unicode: no lone surrogates, in keys or values');
  return problems;
}

/** A zod check for a JSON value stored as jsonb: refuses what unstorableJsonText finds. */
export function storableJson(value: unknown, ctx: z.RefinementCtx): void {
  for (const message of unstorableJsonText(value)) ctx.addIssue({ code: 'custom', message });
}

/** A mailbox address, normalised (punycode domain); rejects anything outside RFC 5321 limits. */
export const emailAddress = z
  .string()
  .transform((value, ctx) => {
    // Trim spaces and tabs only: a trailing CR or LF is header injection, not padding.
    const check = checkEmailAddress(value.replace(/^[ \t]+|[ \t]+$/g, ''));
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
    .refine((value) => !CONTROL.test(value), 'must not contain control characters')
    .refine((value) => !LONE_SURROGATE.test(value), 'must be valid Unicode');

/** Body text: any characters but NUL, which Postgres text cannot store. */
export const bodyText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters')
    .refine((value) => !LONE_SURROGATE.test(value), 'must be valid Unicode');

type Issue = z.core.$ZodIssue;

/**
 * A failed union says only "Invalid input"; report the alternative that matched the
 * input's type instead (the list, for a list of addresses), with its own paths.
 */
function unionBranch(issue: Issue): Issue[] | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const branch = issue.errors.find((errors) => !errors.every((e) => e.code === 'invalid_type' && e.path.length === 0));
  return branch?.map((e) => ({ ...e, path: [...issue.path, ...e.path] }));
}

function fieldErrorsOf(issue: Issue, prefix: string): FieldError[] {
  const branch = unionBranch(issue);
  if (branch !== undefined) return branch.flatMap((inner) => fieldErrorsOf(inner, prefix));
  const field = (...path: PropertyKey[]) => [prefix, ...path.map(String)].filter((part) => part !== '').join('.') || '(body)';
  // Name each unknown key as the offending field rather than the object that holds it.
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: field(...issue.path, key), message: 'is not a known field' }));
  if (issue.code === 'invalid_union') {
    const expected = issue.errors.flat().flatMap((e) => (e.code === 'invalid_type' ? [e.expected] : []));
    if (expected.length > 0) return [{ field: field(...issue.path), message: `Invalid input: expected ${expected.join(' or ')}` }];
  }
  return [{ field: field(...issue.path), message: issue.message }];
}

/** Turns zod issues into the `errors` list of a 422 problem. */
export function toFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((issue) => fieldErrorsOf(issue, prefix));
}

/** Parses untrusted input with a schema, throwing a 422 problem that lists every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailed(toFieldErrors(result.error, prefix));
  return result.data;
}

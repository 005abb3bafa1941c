/**
 * What a Postgres error may keep in the logs: its SQLSTATE code and severity, names from our
 * schema, and the place in Postgres's source that raised it. The rest can repeat the data that
 * failed: `where` ("JSON data, line 1: {…"), `detail` ("Key (k)=(…) already exists"), `hint`,
 * `internalQuery`, and the message itself ('invalid input syntax for type uuid: "…"').
 */
const KEPT_FIELDS = ['code', 'severity', 'routine', 'file', 'line', 'schema', 'table', 'column', 'constraint', 'dataType'] as const;

// SQLSTATE classes (the first two characters of the code), from the Postgres manual's appendix A.
const SQLSTATE_CLASSES: Readonly<Record<string, string>> = {
  '08': 'connection exception',
  '0A': 'feature not supported',
  '21': 'cardinality violation',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '25': 'invalid transaction state',
  '28': 'invalid authorization specification',
  '3D': 'invalid catalog name',
  '40': 'transaction rollback',
  '42': 'syntax error or access rule violation',
  '53': 'insufficient resources',
  '54': 'program limit exceeded',
  '55': 'object not in prerequisite state',
  '57': 'operator intervention',
  '58': 'system error',
  XX: 'internal error',
};

const MAX_DEPTH = 8;

type ErrorLike = Error & Record<string, unknown>;

function isErrorLike(value: unknown): value is ErrorLike {
  return value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string';
}

/** pg's DatabaseError, by shape: jest runs tests in another realm, where instanceof would miss it. */
function isDatabaseError(error: ErrorLike): boolean {
  return typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && typeof error.severity === 'string';
}

/** The stack with its first line(s), which repeat the message, replaced by `header`. */
function restack(stack: unknown, header: string): string {
  if (typeof stack !== 'string') return header;
  const frames = stack.search(/\n\s+at /);
  return frames < 0 ? header : header + stack.slice(frames);
}

/** An empty object with the error's prototype, so that it is logged as the same type. */
function blankLike(error: ErrorLike): ErrorLike {
  return Object.create(Object.getPrototypeOf(error) as object | null) as ErrorLike;
}

/** Sets each field on `copy`, as visible (enumerable or not) as it was on `original`. */
function fill(copy: ErrorLike, original: ErrorLike, fields: Readonly<Record<string, unknown>>): ErrorLike {
  for (const [key, value] of Object.entries(fields)) {
    const enumerable = Object.getOwnPropertyDescriptor(original, key)?.enumerable ?? true;
    Object.defineProperty(copy, key, { value, enumerable, writable: true, configurable: true });
  }
  return copy;
}

function redactDatabaseError(error: ErrorLike): ErrorLike {
  const code = String(error.code);
  const condition = SQLSTATE_CLASSES[code.slice(0, 2)] ?? `class ${code.slice(0, 2)}`;
  const message = `Postgres error ${code} (${condition}; message withheld)`;
  const type = (error.constructor as { name?: unknown } | undefined)?.name;
  const fields: Record<string, unknown> = { message, stack: restack(error.stack, `${typeof type === 'string' ? type : 'Error'}: ${message}`) };
  for (const key of KEPT_FIELDS) if (error[key] !== undefined) fields[key] = error[key];
  return fill(blankLike(error), error, fields);
}

/** `copies` maps each error met to its copy, so a cycle leads back to a copy, never to an original. */
function redact(value: unknown, depth: number, copies: Map<unknown, ErrorLike>): unknown {
  if (!isErrorLike(value)) return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (isDatabaseError(value)) {
    const redacted = redactDatabaseError(value);
    copies.set(value, redacted);
    return redacted;
  }
  const copy = blankLike(value);
  copies.set(value, copy);
  // Past this depth nothing is looked at, so nothing is logged either.
  if (depth >= MAX_DEPTH) return fill(copy, value, { message: 'error nested too deep to log' });
  // Anything an error holds may be a Postgres error in turn: its cause, an AggregateError's list, a property.
  const fields: Record<string, unknown> = { message: value.message, stack: value.stack };
  for (const key of new Set(['cause', 'errors', ...Object.keys(value)])) {
    const held = value[key];
    if (held === undefined) continue;
    fields[key] = Array.isArray(held) ? held.map((item: unknown) => redact(item, depth + 1, copies)) : redact(held, depth + 1, copies);
  }
  return fill(copy, value, fields);
}

/**
 * A copy of an error in which every Postgres error (the error itself, its causes, an
 * AggregateError's errors, errors in its properties) is reduced to its SQLSTATE code and class
 * and the places in our schema and in Postgres that raised it. Anything not an error is
 * returned as it is; the error itself is left untouched.
 */
export function redactDatabaseErrors(value: unknown): unknown {
  return redact(value, 0, new Map());
}

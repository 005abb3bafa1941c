import { inspect } from 'node:util';
import pino from 'pino';
import { redactDatabaseErrors } from '../../services/platform/redact-database-errors';

const MARKER = 'marker-7c1e';

/** Shaped like pg's DatabaseError, with the data echoed where Postgres puts it. */
function databaseError(): Error {
  return Object.assign(new Error(`invalid input syntax for type uuid: "${MARKER}"`), {
    name: 'error',
    severity: 'ERROR',
    code: '22P02',
    detail: `Key (k)=(${MARKER}) already exists.`,
    hint: MARKER,
    where: `JSON data, line 1: {"${MARKER}"...`,
    internalQuery: MARKER,
    table: 'notifications',
    routine: 'string_to_uuid',
  });
}

/** Every field, enumerable or not, at any depth, cycles included. */
const everything = (value: unknown) => inspect(value, { depth: 20, showHidden: true });

describe('redactDatabaseErrors', () => {
  it('keeps the code, severity, table and routine of a Postgres error, and nothing that echoes data', () => {
    const redacted = redactDatabaseErrors(databaseError()) as Error & Record<string, unknown>;
    expect(redacted).toBeInstanceOf(Error);
    expect(redacted.message).toBe('Postgres error 22P02 (data exception; message withheld)');
    expect(redacted.stack).toMatch(/^Error: Postgres error 22P02 \(data exception; message withheld\)\n\s+at /);
    expect({ ...redacted }).toEqual({ severity: 'ERROR', code: '22P02', table: 'notifications', routine: 'string_to_uuid' });
    expect(everything(redacted)).not.toContain(MARKER);
  });

  it('reaches Postgres errors held as a cause, in an AggregateError and in a property, even in a cycle', () => {
    const wrapped = new Error('grouped insert failed', { cause: databaseError() });
    const holder = Object.assign(new Error('holder'), { original: databaseError() });
    const aggregate = new AggregateError([databaseError(), wrapped, holder], 'all failed');
    const looped = new Error('looped', { cause: aggregate });
    (aggregate as Error & { cause?: unknown }).cause = looped;
    const redacted = redactDatabaseErrors(looped) as Error;
    expect(everything(redacted)).not.toContain(MARKER);
    expect(JSON.stringify(pino.stdSerializers.err(redacted))).not.toContain(MARKER);
    expect(redacted.message).toBe('looped');
    const inner = redacted.cause as AggregateError;
    expect(inner).toBeInstanceOf(AggregateError);
    expect(inner.errors.map((e: Error) => e.message)).toEqual(['Postgres error 22P02 (data exception; message withheld)', 'grouped insert failed', 'holder']);
    // The original errors are left as they were.
    expect(wrapped.cause).toHaveProperty('where');
  });

  it('leaves other errors as pino would log them, and anything not an error as it is', () => {
    const plain = Object.assign(new Error('plain', { cause: new Error('inner') }), { attempt: 2 });
    const socket = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (const error of [plain, socket, new AggregateError([plain], 'many')]) {
      expect(pino.stdSerializers.err(redactDatabaseErrors(error) as Error)).toEqual(pino.stdSerializers.err(error));
    }
    expect(redactDatabaseErrors('text')).toBe('text');
    expect(redactDatabaseErrors(undefined)).toBeUndefined();
  });
});

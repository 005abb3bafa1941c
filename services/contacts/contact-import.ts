import { parse } from 'csv-parse/sync';
import { checkEmailAddress } from '../platform/email-address';
import { MAX_ATTRIBUTES_BYTES, MAX_IMPORT_ROWS } from './schema';
import type { ContactUpsert } from './contact-repository';
import { unstorableJsonText } from '../platform/schema-helpers';

/** A row that will not be imported: its CSV line (or JSON item number) and why. */
export interface Rejection {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedImport {
  readonly received: number;
  readonly rows: ContactUpsert[];
  readonly rejections: Rejection[];
}

const NAME_COLUMNS = new Set(['email', 'first_name', 'last_name']);
const MAX_NAME_LENGTH = 200;
// eslint-disable-next-line no-control-regex -- names end up in headers: no control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Too many rows: refused whole, before anything is stored. */
export class TooManyRowsError extends Error {
  constructor() {
    super(`An import holds at most ${MAX_IMPORT_ROWS} rows.`);
  }
}

function nameOf(value: unknown, column: string): { value: string | null } | { reason: string } {
  if (value === undefined || value === null || value === '') return { value: null };
  if (typeof value !== 'string') return { reason: `${column} must be a string` };
  if (value.length > MAX_NAME_LENGTH) return { reason: `${column} is longer than ${MAX_NAME_LENGTH} characters` };
  if (CONTROL.test(value)) return { reason: `${column} holds control characters` };
  return { value: value.trim() || null };
}

// Characters that may make a value unstorable as jsonb (NUL, surrogate halves): only rows holding one get the full check.
// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

/** Checks one row; the contact to upsert, or why it is rejected. Runs 100,000 times per import: no zod here. */
function contactOf(row: Record<string, unknown>): ContactUpsert | string {
  const given = row.email;
  if (given === undefined || given === null || given === '') return 'email is missing';
  if (typeof given !== 'string') return 'email must be a string';
  const email = checkEmailAddress(given.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!email.ok) return `invalid email address: ${email.reason}`;
  const first = nameOf(row.first_name, 'first_name');
  if ('reason' in first) return first.reason;
  const last = nameOf(row.last_name, 'last_name');
  if ('reason' in last) return last.reason;
  const attributes: Record<string, unknown> = {};
  let textLength = 0;
  let suspicious = false;
  const nested = row.attributes !== null && typeof row.attributes === 'object' && !Array.isArray(row.attributes) ? (row.attributes as Record<string, unknown>) : {};
  for (const source of [row, nested]) {
    for (const key in source) {
      if (!Object.hasOwn(source, key) || NAME_COLUMNS.has(key) || key === 'attributes') continue;
      const value = source[key];
      if (value === '' || value === undefined) continue;
      attributes[key] = value;
      textLength += key.length + (typeof value === 'string' ? value.length : 64);
      suspicious ||= MAYBE_UNSTORABLE.test(key) || typeof value !== 'string' || MAYBE_UNSTORABLE.test(value);
    }
  }
  if (suspicious) {
    const problems = unstorableJsonText(attributes);
    if (problems.length > 0) return `attributes ${problems[0] ?? ''}`;
  }
  // Short rows (nearly all) cannot exceed the limit; only long or nested ones are measured exactly.
  if ((suspicious || textLength * 2 > MAX_ATTRIBUTES_BYTES / 3) && Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) {
    return `attributes exceed ${MAX_ATTRIBUTES_BYTES} bytes`;
  }
  return { email: email.address.toLowerCase(), first_name: first.value, last_name: last.value, attributes };
}

/** Validates numbered rows and drops later rows with an email seen before in the same import. */
function collect(numbered: Iterable<[number, Record<string, unknown>]>, rejections: Rejection[]): { received: number; rows: ContactUpsert[] } {
  const rows: ContactUpsert[] = [];
  const lineOfEmail = new Map<string, number>();
  let received = rejections.length;
  for (const [line, row] of numbered) {
    received += 1;
    if (received > MAX_IMPORT_ROWS) throw new TooManyRowsError();
    const contact = contactOf(row);
    if (typeof contact === 'string') {
      rejections.push({ line, reason: contact });
      continue;
    }
    const earlier = lineOfEmail.get(contact.email);
    if (earlier !== undefined) {
      rejections.push({ line, reason: `duplicate of the email on line ${earlier}` });
      continue;
    }
    lineOfEmail.set(contact.email, line);
    rows.push(contact);
  }
  return { received, rows };
}

/** What csv-parse gives for one record with `info: true`. */
interface CsvRecord {
  readonly record: Record<string, string>;
  readonly info: { readonly lines: number };
}

/**
 * Parses a CSV import: a header row naming email, first_name, last_name and any other columns
 * (which become attributes). A malformed record is rejected by its line; the others are kept.
 */
export function parseCsvImport(text: string): ParsedImport {
  const rejections: Rejection[] = [];
  const records: unknown[] = parse(text, {
    columns: (header: string[]) => header.map((column) => column.trim().toLowerCase()),
    info: true,
    bom: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    max_record_size: 64 * 1024,
    on_skip: (error) => {
      if (error !== undefined) rejections.push({ line: Number(error.lines), reason: error.message.replace(/ on line \d+$/, '') });
    },
  });
  const { received, rows } = collect(
    (records as CsvRecord[]).map(({ record, info }): [number, Record<string, unknown>] => [info.lines, record]),
    rejections,
  );
  rejections.sort((a, b) => a.line - b.line);
  return { received, rows, rejections };
}

/** Parses a JSON import: an array of {email, first_name?, last_name?, attributes?, …}; lines are item numbers from 1. */
export function parseJsonImport(items: readonly unknown[]): ParsedImport {
  if (items.length > MAX_IMPORT_ROWS) throw new TooManyRowsError();
  const rejections: Rejection[] = [];
  const numbered = items.map((item, index): [number, Record<string, unknown>] => [
    index + 1,
    item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : { email: undefined },
  ]);
  const { received, rows } = collect(numbered, rejections);
  return { received, rows, rejections };
}

import { parse } from 'csv-parse/sync';
import { Problem } from '../platform/errors';

export const MAX_JOB_LINES = 100_000;

const unprocessable = (detail: string) => new Problem(422, 'Unprocessable Content', detail, { errors: [{ field: '(body)', message: detail }] });

/**
 * The addresses of a job upload: one per line of plain text, or the `email` column of a CSV
 * (first row the header). Blank lines are skipped; at most 100,000 addresses.
 */
export function addressesOfUpload(body: string, isCsv: boolean): string[] {
  // Postgres text cannot hold NUL; such a line is not an address anyway.
  const text = body.replace(/\0/g, '\uFFFD');
  let emails: string[];
  if (isCsv) {
    let rows: string[][];
    try {
      const records: unknown = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
      rows = records as string[][];
    } catch (error) {
      throw unprocessable(`The CSV cannot be read: ${(error as Error).message.split('\n')[0] ?? 'malformed'}`);
    }
    const header = rows[0] ?? [];
    const column = header.findIndex((name) => name.toLowerCase() === 'email');
    if (column < 0) throw unprocessable('The CSV needs a header row with an "email" column.');
    emails = rows.slice(1).map((row) => row[column] ?? '');
  } else {
    emails = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  }
  emails = emails.filter((email) => email.length > 0);
  if (emails.length === 0) throw unprocessable('The upload holds no address.');
  if (emails.length > MAX_JOB_LINES) throw unprocessable(`The upload holds ${emails.length} addresses; a job takes at most ${MAX_JOB_LINES}.`);
  return emails;
}

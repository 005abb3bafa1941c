import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { hasScope, type Principal } from '../auth/scopes';
import { InvalidStateError, NotFoundError } from '../domain/errors';
import type { Logger } from '../platform/logger';
import type { ValidationJobStore } from './job-store';
import type { ValidationJobRow } from './tables';
import { enqueueValidationJob, type ValidationQueue } from './validation-queue';
import type { ValidationResult } from './verdict';

/** A job as GET /api/validate/jobs/:id shows it. */
export interface ValidationJobView {
  readonly job_id: string;
  readonly status: ValidationJobRow['status'];
  readonly total: number;
  readonly processed: number;
  /** processed / total, 0 to 1. */
  readonly progress: number;
  readonly counts: Readonly<Record<ValidationResult, number>>;
  readonly created_at: string;
  readonly finished_at: string | null;
}

export function toJobView(job: ValidationJobRow): ValidationJobView {
  return {
    job_id: job.id,
    status: job.status,
    total: job.total,
    processed: job.processed,
    progress: job.total === 0 ? 1 : Math.round((job.processed / job.total) * 10000) / 10000,
    counts: { deliverable: job.deliverable, risky: job.risky, undeliverable: job.undeliverable, unknown: job.unknown },
    created_at: job.created_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
  };
}

const CSV_COLUMNS = ['line', 'email', 'normalized', 'result', 'score', 'reasons', 'dns_status', 'disposable', 'role', 'free', 'suggestion'];
const EXPORT_PAGE = 5000;
// A cell a spreadsheet would run as a formula (OWASP "CSV injection"): shown as text instead.
const FORMULA_START = /^[=+\-@\t\r]/;

interface StoredAnswer {
  normalized?: string | null;
  reasons?: string[];
  checks?: { dns?: { status?: string } | null; disposable?: boolean; role?: boolean; free?: boolean; typo?: { suggestion?: string } | null };
}

/** Creates, reads, exports and cancels validation jobs for their clients (the admin sees all). */
export class ValidationJobs {
  constructor(
    private readonly store: ValidationJobStore,
    private readonly queue: ValidationQueue,
    private readonly logger: Logger,
  ) {}

  async create(principal: Principal, emails: readonly string[]): Promise<ValidationJobView> {
    const job = await this.store.create(principal.clientId, emails);
    // The row is the record: a job whose queue entry could not be added is re-added by the sweeper.
    await enqueueValidationJob(this.queue, job.id).catch((error: unknown) => this.logger.warn({ err: error, jobId: job.id }, 'validation job not enqueued; the sweeper will add it'));
    return toJobView(job);
  }

  async get(principal: Principal, id: string): Promise<ValidationJobView> {
    return toJobView(await this.owned(principal, id));
  }

  async results(principal: Principal, id: string, query: { result?: ValidationResult; page: number; page_size: number }) {
    await this.owned(principal, id);
    const { rows, count } = await this.store.results(id, { result: query.result, offset: (query.page - 1) * query.page_size, limit: query.page_size });
    return { count, page: query.page, page_size: query.page_size, results: rows.map((row) => ({ line: row.line, email: row.email, result: row.result, score: row.score, ...(row.answer ?? {}) })) };
  }

  /** Writes every processed line as CSV to `out`, page by page; ends when `out` does (a client gone stops the walk). */
  async exportCsv(principal: Principal, id: string, out: Writable, result?: ValidationResult): Promise<void> {
    await this.owned(principal, id);
    const store = this.store;
    async function* rows() {
      let after = 0;
      for (;;) {
        const page = await store.resultsAfter(id, after, EXPORT_PAGE, result);
        for (const row of page) {
          const answer = (row.answer ?? {}) as StoredAnswer;
          const checks = answer.checks ?? {};
          yield [row.line, row.email, answer.normalized ?? '', row.result, row.score, (answer.reasons ?? []).join(' '), checks.dns?.status ?? '', checks.disposable ?? false, checks.role ?? false, checks.free ?? false, checks.typo?.suggestion ?? ''];
        }
        const last = page[page.length - 1];
        if (last === undefined || page.length < EXPORT_PAGE) return;
        after = last.line;
      }
    }
    const csv = stringify({ header: true, columns: CSV_COLUMNS, cast: { string: (value) => (FORMULA_START.test(value) ? `'${value}` : value), boolean: (value) => (value ? 'true' : 'false') } });
    await pipeline(Readable.from(rows()), csv, out);
  }

  async cancel(principal: Principal, id: string): Promise<ValidationJobView> {
    const outcome = await this.store.cancel(this.clientFilter(principal), id);
    if (outcome === undefined) throw new NotFoundError('No such validation job.');
    if (!outcome.cancelled && outcome.job.status !== 'cancelled') throw new InvalidStateError(`The job is ${outcome.job.status}; only a queued or running job can be cancelled.`);
    return toJobView(outcome.job);
  }

  private clientFilter(principal: Principal): string | undefined {
    return hasScope(principal, 'admin') ? undefined : principal.clientId;
  }

  private async owned(principal: Principal, id: string): Promise<ValidationJobRow> {
    const job = await this.store.get(this.clientFilter(principal), id);
    if (job === undefined) throw new NotFoundError('No such validation job.');
    return job;
  }
}

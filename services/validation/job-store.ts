import { sql } from 'kysely';
import type { Db } from '../database';
import type { ValidationJobRow } from './tables';
import type { ValidationResult } from './verdict';

/** One line's outcome, as a chunk writes it. */
export interface LineResult {
  readonly line: number;
  readonly result: ValidationResult;
  readonly score: number;
  readonly answer: object;
}

export interface StoredLine {
  readonly line: number;
  readonly email: string;
}

const INSERT_PAGE = 10000;

/** Where validation jobs and their lines live: every write of a job's progress is here. */
export class ValidationJobStore {
  constructor(private readonly db: Db) {}

  /** Stores a job and its lines (numbered from 1) in one transaction. */
  async create(clientId: string, emails: readonly string[]): Promise<ValidationJobRow> {
    return this.db.transaction().execute(async (trx) => {
      const job = await trx.insertInto('validation_jobs').values({ client_id: clientId, total: emails.length }).returningAll().executeTakeFirstOrThrow();
      for (let start = 0; start < emails.length; start += INSERT_PAGE) {
        const page = emails.slice(start, start + INSERT_PAGE);
        await sql`
          insert into validation_results (job_id, line, email)
          select ${job.id}::uuid, l.line, l.email from unnest(${page.map((_, i) => start + i + 1)}::int[], ${page}::text[]) as l(line, email)`.execute(trx);
      }
      return job;
    });
  }

  async get(clientId: string | undefined, id: string): Promise<ValidationJobRow | undefined> {
    let query = this.db.selectFrom('validation_jobs').selectAll().where('id', '=', id);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    return query.executeTakeFirst();
  }

  /** queued → running; true when the job is running now (false when cancelled or finished). */
  async start(id: string): Promise<boolean> {
    const result = await sql<{ id: string }>`
      update validation_jobs set status = 'running', updated_at = now() where id = ${id} and status in ('queued', 'running') returning id`.execute(this.db);
    return result.rows.length > 0;
  }

  /** The next lines without a result, in order. */
  async nextChunk(id: string, size: number): Promise<StoredLine[]> {
    return this.db.selectFrom('validation_results').select(['line', 'email']).where('job_id', '=', id).where('result', 'is', null).orderBy('line').limit(size).execute();
  }

  /**
   * Writes a chunk's results and adds them to the job's counts in one statement. A line that
   * already has a result (another worker got there first) is neither written nor counted, and
   * nothing is written once the job is no longer running. Returns the lines written.
   */
  async recordChunk(id: string, results: readonly LineResult[]): Promise<number> {
    const written = await sql<{ processed: number }>`
      with written as (
        update validation_results r set result = v.result, score = v.score, answer = v.answer::json
          from unnest(${results.map((r) => r.line)}::int[], ${results.map((r) => r.result)}::text[], ${results.map((r) => r.score)}::int[],
                      ${results.map((r) => JSON.stringify(r.answer))}::text[]) as v(line, result, score, answer)
         where r.job_id = ${id} and r.line = v.line and r.result is null
           and exists (select 1 from validation_jobs j where j.id = ${id} and j.status = 'running')
        returning r.result
      ), counted as (
        update validation_jobs set
          processed = processed + (select count(*) from written),
          deliverable = deliverable + (select count(*) from written where result = 'deliverable'),
          risky = risky + (select count(*) from written where result = 'risky'),
          undeliverable = undeliverable + (select count(*) from written where result = 'undeliverable'),
          unknown = unknown + (select count(*) from written where result = 'unknown'),
          updated_at = now()
         where id = ${id} and status = 'running'
        returning id
      )
      select (select count(*) from written)::int as processed`.execute(this.db);
    return written.rows[0]?.processed ?? 0;
  }

  /** running → completed once every line has a result; true when this call completed it. */
  async complete(id: string): Promise<boolean> {
    const result = await sql<{ id: string }>`
      update validation_jobs set status = 'completed', finished_at = now(), updated_at = now()
       where id = ${id} and status = 'running' and processed = total
      returning id`.execute(this.db);
    return result.rows.length > 0;
  }

  /** queued or running → cancelled; the job as it is afterwards, undefined when not the client's. */
  async cancel(clientId: string | undefined, id: string): Promise<{ job: ValidationJobRow; cancelled: boolean } | undefined> {
    let query = this.db
      .updateTable('validation_jobs')
      .set({ status: 'cancelled', finished_at: new Date(), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running']);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    const cancelled = await query.returningAll().executeTakeFirst();
    if (cancelled !== undefined) return { job: cancelled, cancelled: true };
    const job = await this.get(clientId, id);
    return job === undefined ? undefined : { job, cancelled: false };
  }

  /** One page of processed lines in line order, optionally of one result only. */
  async results(id: string, filter: { result?: ValidationResult; offset: number; limit: number }) {
    let query = this.db.selectFrom('validation_results').where('job_id', '=', id).where('result', 'is not', null);
    if (filter.result !== undefined) query = query.where('result', '=', filter.result);
    const [rows, count] = await Promise.all([
      query.select(['line', 'email', 'result', 'score', 'answer']).orderBy('line').offset(filter.offset).limit(filter.limit).execute(),
      query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { rows, count: Number(count.count) };
  }

  /** Processed lines after `afterLine`, for the CSV export's walk. */
  async resultsAfter(id: string, afterLine: number, limit: number, result?: ValidationResult) {
    let query = this.db.selectFrom('validation_results').select(['line', 'email', 'result', 'score', 'answer']).where('job_id', '=', id).where('result', 'is not', null).where('line', '>', afterLine);
    if (result !== undefined) query = query.where('result', '=', result);
    return query.orderBy('line').limit(limit).execute();
  }

  /** Unfinished jobs nobody has touched since `before`: the sweeper checks their queue jobs. */
  async idleUnfinished(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('validation_jobs')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }
}

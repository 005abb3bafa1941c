import { type Kysely, sql } from 'kysely';

/**
 * Recipient validation jobs (validation.md): one row per job with its progress and counts, one
 * row per input line holding the address and, once a chunk has been processed, its result.
 * A line's result is written once (`where result is null`) in the same transaction that adds it
 * to the job's counts, so a worker killed mid-job leaves nothing half-counted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table validation_jobs (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'cancelled')),
      total integer not null,
      processed integer not null default 0,
      deliverable integer not null default 0,
      risky integer not null default 0,
      undeliverable integer not null default 0,
      unknown integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create index validation_jobs_unfinished on validation_jobs (updated_at) where status in ('queued', 'running')`.execute(db);
  await sql`
    create table validation_results (
      job_id uuid not null references validation_jobs (id) on delete cascade,
      line integer not null,
      email text not null,
      result text check (result in ('deliverable', 'risky', 'undeliverable', 'unknown')),
      score integer,
      answer json,
      primary key (job_id, line)
    )`.execute(db);
  await sql`create index validation_results_by_result on validation_results (job_id, result, line)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table validation_results`.execute(db);
  await sql`drop table validation_jobs`.execute(db);
}

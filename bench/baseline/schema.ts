/** The baseline's one table: what a minimal notification service would store. */
export const BASELINE_SCHEMA = `
  create table if not exists baseline_messages (
    id uuid primary key default gen_random_uuid(),
    idempotency_key text not null unique,
    "to" text not null,
    subject text not null,
    text text not null,
    status text not null default 'queued',
    created_at timestamptz not null default now(),
    sent_at timestamptz
  )`;

/** Queue name shared by the baseline's API and worker. */
export const BASELINE_QUEUE = 'baseline';

/** Job options of the baseline: a few retries, completed jobs dropped at once. */
export const BASELINE_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true } as const;

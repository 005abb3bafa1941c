import type { ColumnType, Generated, Selectable } from 'kysely';
import type { ValidationResult } from './verdict';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const VALIDATION_JOB_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;
export type ValidationJobStatus = (typeof VALIDATION_JOB_STATUSES)[number];

/** One validation job: its progress and the counts of its results so far. */
export interface ValidationJobsTable {
  id: ColumnType<string, string | undefined, never>;
  client_id: string;
  status: ColumnType<ValidationJobStatus, ValidationJobStatus | undefined, ValidationJobStatus>;
  total: number;
  processed: Generated<number>;
  deliverable: Generated<number>;
  risky: Generated<number>;
  undeliverable: Generated<number>;
  unknown: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: NullableTimestamp;
}

/** One input line of a job; `result` is null until its chunk has been processed. */
export interface ValidationResultsTable {
  job_id: string;
  line: number;
  email: string;
  result: ValidationResult | null;
  score: number | null;
  answer: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface ValidationTables {
  validation_jobs: ValidationJobsTable;
  validation_results: ValidationResultsTable;
}

export type ValidationJobRow = Selectable<ValidationJobsTable>;

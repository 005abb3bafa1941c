import type { Logger } from '../platform/logger';
import type { EmailValidator } from './email-validator';
import type { ValidationJobStore } from './job-store';

/** Told when a job has finished every line: the seam for the `validation.job.completed` webhook (webhooks.md). */
export interface ValidationJobListener {
  onChunk?(jobId: string, rows: number): void;
  onCompleted?(jobId: string): void;
}

export const CHUNK_LINES = 1000;

/**
 * Works through one job chunk by chunk. Each chunk's results and counts are written in one
 * statement, so a worker killed at any point leaves the job at a chunk boundary, and the next
 * run (BullMQ's stall check, or the sweeper) carries on from the first line without a result.
 */
export class ValidationJobRunner {
  constructor(
    private readonly store: ValidationJobStore,
    private readonly validator: EmailValidator,
    private readonly logger: Logger,
    private readonly listeners: readonly ValidationJobListener[] = [],
  ) {}

  async run(jobId: string): Promise<'completed' | 'stopped'> {
    if (!(await this.store.start(jobId))) return 'stopped';
    for (;;) {
      const lines = await this.store.nextChunk(jobId, CHUNK_LINES);
      if (lines.length === 0) break;
      const answers = await this.validator.validateMany(lines.map((l) => l.email));
      const written = await this.store.recordChunk(
        jobId,
        lines.map((line, i) => {
          const { email: _email, result, score, ...answer } = answers[i] as NonNullable<(typeof answers)[number]>;
          return { line: line.line, result, score, answer };
        }),
      );
      for (const listener of this.listeners) listener.onChunk?.(jobId, written);
      // Nothing written: the job was cancelled (or another run took these lines); look again before going on.
      if (written === 0 && !(await this.store.start(jobId))) return 'stopped';
    }
    const completed = await this.store.complete(jobId);
    if (completed) {
      this.logger.info({ validationJobId: jobId }, 'validation job completed');
      for (const listener of this.listeners) listener.onCompleted?.(jobId);
    }
    return completed ? 'completed' : 'stopped';
  }
}

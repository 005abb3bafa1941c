import { type Job, UnrecoverableError } from 'bullmq';
import type { ValidationJobRunner } from '../services/validation/job-runner';
import { type ValidationJobData, validationJobDataSchema } from '../services/validation/validation-queue';

/** Adapts a validation job's queue entry to the runner: the row id is all it carries. */
export function createValidationJobProcessor(runner: ValidationJobRunner) {
  return async (job: Job<ValidationJobData, void, 'validate'>): Promise<void> => {
    const parsed = validationJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed validation job');
    await runner.run(parsed.data.id);
  };
}

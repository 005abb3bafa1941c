import { Queue } from 'bullmq';
import { z } from 'zod';
import type { Redis } from '../platform/redis';
import { QUEUE_NAMES } from '../platform/redis-keys';

/** A validation job carries its row id only; the lines are in Postgres. */
export const validationJobDataSchema = z.object({ id: z.string().uuid() });
export type ValidationJobData = z.infer<typeof validationJobDataSchema>;

export type ValidationQueue = Queue<ValidationJobData, void, 'validate'>;

export function createValidationQueue(connection: Redis, prefix: string): ValidationQueue {
  return new Queue<ValidationJobData, void, 'validate'>(QUEUE_NAMES.validationJobs, { connection, prefix });
}

/** Adds a job's queue entry; its id is the row id, so adding a live one again is a no-op. */
export async function enqueueValidationJob(queue: ValidationQueue, id: string): Promise<void> {
  await queue.add('validate', { id }, { jobId: id, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } });
}

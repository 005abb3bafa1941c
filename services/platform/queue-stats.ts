import type { DeliveryQueue } from './queue';

/** BullMQ job states reported by the herald_queue_jobs gauge. */
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed', 'waiting-children'] as const;

/** Jobs of the queue by state, in one round trip. */
export async function jobCountsByState(queue: DeliveryQueue): Promise<Record<string, number>> {
  return queue.getJobCounts(...JOB_STATES);
}

/**
 * When a job became runnable. BullMQ keeps no such field, so this estimates it: creation plus delay
 * for a first attempt, and the last attempt's start plus the backoff delay for a retry.
 */
function runnableSince(job: { attemptsMade: number; processedOn?: number; timestamp: number; delay: number }): number {
  const start = job.attemptsMade > 0 && job.processedOn !== undefined ? job.processedOn : job.timestamp;
  return start + (job.delay > 0 ? job.delay : 0);
}

/**
 * Age in seconds of the oldest runnable job: the tail of the wait list (BullMQ pushes on the left)
 * and the next prioritized job. 0 when nothing waits.
 */
export async function oldestWaitingJobAgeSeconds(queue: DeliveryQueue, now: number = Date.now()): Promise<number> {
  const [waiting, prioritized] = await Promise.all([queue.getWaiting(0, 0), queue.getPrioritized(0, 0)]);
  const candidates = [...waiting, ...prioritized].map(runnableSince);
  if (candidates.length === 0) return 0;
  return Math.max(0, (now - Math.min(...candidates)) / 1000);
}

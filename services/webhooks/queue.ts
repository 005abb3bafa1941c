import { Queue } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../platform/logger';
import { QUEUE_NAMES } from '../platform/redis-keys';
import type { Redis } from '../platform/redis';

/** A webhook job names a delivery row and the try it is for; the row holds everything else. */
export const webhookJobSchema = z.object({ deliveryId: z.string().uuid(), attempt: z.number().int().min(0) });
export type WebhookJob = z.infer<typeof webhookJobSchema>;
export type WebhookQueue = Queue<WebhookJob, void, 'send'>;

export function createWebhookQueue(connection: Redis, prefix: string): WebhookQueue {
  return new Queue<WebhookJob, void, 'send'>(QUEUE_NAMES.webhooks, { connection, prefix });
}

/** One job per try of a delivery: re-adding the same try is a no-op. */
export function webhookJobId(job: WebhookJob): string {
  return `wh-${job.deliveryId}-${job.attempt}`;
}

// The delivery row is the record; a finished job is dropped at once (the sweeper looks at rows, not jobs).
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { age: 24 * 3600, count: 10000 } } as const;

/** Adds the tries' jobs in one round trip, `delayMs` ahead. */
export async function addWebhookJobs(queue: WebhookQueue, jobs: readonly WebhookJob[], delayMs = 0): Promise<void> {
  if (jobs.length === 0) return;
  await queue.addBulk(
    jobs.map((job) => ({
      name: 'send' as const,
      data: job,
      opts: { ...JOB_OPTIONS, jobId: webhookJobId(job), delay: delayMs > 0 ? Math.ceil(delayMs) : undefined },
    })),
  );
}

/**
 * Hands new delivery rows to the webhook queue without waiting: the rows are already durable,
 * and a job Redis did not take is re-added by the sweeper.
 */
export class WebhookDispatcher {
  constructor(
    private readonly queue: WebhookQueue,
    private readonly logger: Logger,
  ) {}

  dispatch(deliveryIds: readonly string[]): void {
    if (deliveryIds.length === 0) return;
    addWebhookJobs(
      this.queue,
      deliveryIds.map((deliveryId) => ({ deliveryId, attempt: 0 })),
    ).catch((error: unknown) => this.logger.warn({ err: error, count: deliveryIds.length }, 'webhook jobs not added; the sweeper will add them'));
  }
}

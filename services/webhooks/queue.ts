import { Queue } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../platform/logger';
import { QUEUE_NAMES } from '../platform/redis-keys';
import type { Redis } from '../platform/redis';

/** One try of one delivery row; the row holds everything else. */
export const webhookTrySchema = z.object({ deliveryId: z.string().uuid(), attempt: z.number().int().min(0) });
export type WebhookTry = z.infer<typeof webhookTrySchema>;

/**
 * A webhook job: the first tries of the deliveries one statement wrote (a batch, so that the
 * queue costs one job per group of events, not one per event), or one retry or replay.
 */
export const webhookJobSchema = z.object({ tries: z.array(webhookTrySchema).min(1).max(10000) });
export type WebhookJob = z.infer<typeof webhookJobSchema>;
export type WebhookQueue = Queue<WebhookJob, void, 'send'>;

export function createWebhookQueue(connection: Redis, prefix: string): WebhookQueue {
  return new Queue<WebhookJob, void, 'send'>(QUEUE_NAMES.webhooks, { connection, prefix });
}

/** The job of one try of a delivery: re-adding the same try is a no-op. */
export function webhookJobId(job: WebhookTry): string {
  return `wh-${job.deliveryId}-${job.attempt}`;
}

// The delivery row is the record; a finished job is dropped at once (the sweeper looks at rows, not jobs).
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { age: 24 * 3600, count: 10000 } } as const;

/** Adds one job per try in one round trip, `delayMs` ahead. */
export async function addWebhookJobs(queue: WebhookQueue, tries: readonly WebhookTry[], delayMs = 0): Promise<void> {
  if (tries.length === 0) return;
  await queue.addBulk(
    tries.map((one) => ({
      name: 'send' as const,
      data: { tries: [one] },
      opts: { ...JOB_OPTIONS, jobId: webhookJobId(one), delay: delayMs > 0 ? Math.ceil(delayMs) : undefined },
    })),
  );
}

/** Adds the first tries of new deliveries as one job (its id from the first, which no other batch holds). */
async function addFirstTries(queue: WebhookQueue, deliveryIds: readonly string[]): Promise<void> {
  const tries = deliveryIds.map((deliveryId) => ({ deliveryId, attempt: 0 }));
  if (tries.length === 1) return addWebhookJobs(queue, tries);
  await queue.add('send', { tries }, { ...JOB_OPTIONS, jobId: `whb-${deliveryIds[0] ?? ''}` });
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
    addFirstTries(this.queue, deliveryIds).catch((error: unknown) => this.logger.warn({ err: error, count: deliveryIds.length }, 'webhook jobs not added; the sweeper will add them'));
  }
}

import { Queue, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { Config } from './config';
import { MESSAGE_KINDS, type MessageKind } from '../domain/message-kinds';
import type { Redis } from './redis';

import { QUEUE_NAMES } from './redis-keys';

export { QUEUE_NAMES };

/** The only data a delivery job carries: no personal data goes to Redis. */
export const deliveryJobSchema = z.object({
  id: z.string().uuid(),
  kind: z.enum(MESSAGE_KINDS),
});
export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

/** A custom backoff name, so the worker computes base × factor^(n-1) rather than BullMQ's powers of two. */
export const HERALD_BACKOFF = 'herald-exponential';

export type DeliveryQueue = Queue<DeliveryJob, void, 'deliver'>;

export function createDeliveryQueue(connection: Redis, prefix: string): DeliveryQueue {
  return new Queue<DeliveryJob, void, 'deliver'>(QUEUE_NAMES.deliveries, { connection, prefix });
}

export interface EnqueueRequest {
  readonly id: string;
  readonly kind: MessageKind;
  readonly delayMs?: number;
  readonly priority?: number;
}

/** Job options shared by every producer (the API, the sweeper, the retry endpoint). */
export function deliveryJobOptions(config: Pick<Config, 'retry'>, request: EnqueueRequest): JobsOptions {
  return {
    jobId: request.id,
    attempts: config.retry.attempts,
    backoff: { type: HERALD_BACKOFF },
    delay: request.delayMs !== undefined && request.delayMs > 0 ? Math.ceil(request.delayMs) : undefined,
    // BullMQ priorities: 1 is highest; 0 means none. We expose 0 (normal) to 10 (urgent).
    priority: request.priority !== undefined && request.priority > 0 ? Math.max(1, 11 - request.priority) : undefined,
    // Postgres is the record; Redis keeps finished jobs briefly so memory stays flat.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 3 * 24 * 3600, count: 10000 },
  };
}

/** Retry delay for the n-th retry (1-based): base × factor^(n-1). */
export function retryDelayMs(config: Pick<Config, 'retry'>, retryNumber: number): number {
  return Math.round(config.retry.baseDelayMs * config.retry.factor ** Math.max(0, retryNumber - 1));
}

/** Adds delivery jobs in one round trip; job ids are row ids, so re-adding a live job is a no-op. */
export async function enqueueDeliveries(
  queue: DeliveryQueue,
  config: Pick<Config, 'retry'>,
  requests: readonly EnqueueRequest[],
): Promise<void> {
  if (requests.length === 0) return;
  await queue.addBulk(
    requests.map((request) => ({
      name: 'deliver' as const,
      data: { id: request.id, kind: request.kind },
      opts: deliveryJobOptions(config, request),
    })),
  );
}

import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { DeliveryService } from '../services/delivery/delivery-service';
import { type DeliveryJob, deliveryJobSchema } from '../services/platform/queue';

/** Adapts DeliveryService outcomes to BullMQ's signals: throw to retry, UnrecoverableError to stop. */
export function createDeliveryProcessor(delivery: DeliveryService) {
  return async (job: Job<DeliveryJob, void, 'deliver'>, token?: string): Promise<void> => {
    const parsed = deliveryJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed delivery job');
    // The job id reaches the log lines in the request rather than a log context (log-context.ts).
    const outcome = await delivery.deliver({
      id: parsed.data.id,
      kind: parsed.data.kind,
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      jobId: job.id,
    });
    switch (outcome.outcome) {
      case 'sent':
      case 'skipped':
      case 'stale':
        // Stale: another claim took the row over; whatever it does is the message's outcome.
        return;
      case 'leased':
        // A crashed worker's lease is still running: wait for it without spending an attempt.
        await job.moveToDelayed(outcome.until.getTime() + 50, token);
        throw new DelayedError();
      case 'retry':
        throw new Error(outcome.error);
      case 'failed':
        throw new UnrecoverableError(outcome.error);
    }
  };
}

import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import type { MessageKind } from '../platform/database';
import type { Logger } from '../platform/logger';
import { type DeliveryQueue, type EnqueueRequest, enqueueDeliveries } from '../platform/queue';

const ENQUEUE_TIMEOUT_MS = 1500;

function tableOf(kind: MessageKind) {
  return kind === 'contact' ? 'contact_messages' : 'notifications';
}

/**
 * Hands accepted rows to the queue. Rows are stored `queued` (or `scheduled`) in
 * the accepting INSERT, so the hot path writes once; when Redis cannot take the
 * jobs the rows are set back to `pending` and the sweeper enqueues them later.
 */
export class MessageEnqueuer {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly db: Db,
    private readonly config: Pick<Config, 'retry'>,
    private readonly logger: Logger,
    /** Whether the producer's Redis connection is up; when it is not, skip straight to `pending`. */
    private readonly isQueueReachable: () => boolean = () => true,
  ) {}

  /** Returns false when the jobs could not be added (the rows are then `pending`). */
  async enqueue(requests: readonly EnqueueRequest[]): Promise<boolean> {
    if (requests.length === 0) return true;
    if (!this.isQueueReachable()) {
      await this.markPending(requests);
      return false;
    }
    try {
      await withTimeout(enqueueDeliveries(this.queue, this.config, requests), ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, count: requests.length }, 'enqueue failed; rows left pending for the sweeper');
      await this.markPending(requests);
      return false;
    }
  }

  private async markPending(requests: readonly EnqueueRequest[]): Promise<void> {
    for (const kind of ['contact', 'notification'] as const) {
      const ids = requests.filter((r) => r.kind === kind).map((r) => r.id);
      if (ids.length === 0) continue;
      await this.db
        .updateTable(tableOf(kind))
        .set({ status: 'pending', updated_at: new Date() })
        .where('id', 'in', ids)
        .where('status', 'in', ['queued', 'scheduled'])
        .execute();
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`queue did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

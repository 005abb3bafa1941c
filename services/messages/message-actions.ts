import type { Principal } from '../auth/scopes';
import type { Db } from '../database';
import { InvalidStateError, NotFoundError } from '../domain/errors';
import type { MessageKind } from '../domain/message-kinds';
import type { MessageStatus } from '../domain/message-statuses';
import { cancelMessage } from '../lifecycle/cancel';
import { markPending } from '../lifecycle/mark-pending';
import { retryMessage } from '../lifecycle/retry';
import type { Logger } from '../platform/logger';
import type { DeliveryQueue } from '../platform/queue';
import type { MessageEnqueuer } from './enqueuer';
import { visibleClient } from './views';

export interface StatusChange {
  readonly id: string;
  readonly kind: MessageKind;
  readonly status: MessageStatus;
}

/** Operator actions on accepted messages: cancel before sending, retry after failing. */
export class MessageActions {
  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
    private readonly enqueuer: MessageEnqueuer,
    private readonly logger: Logger,
    /** Told the webhook deliveries a transition wrote, to enqueue them. */
    private readonly onWebhookDeliveries: (ids: readonly string[]) => void = () => undefined,
  ) {}

  /** Cancels a notification that is not being sent yet; refused once it is sending or finished. */
  async cancelNotification(principal: Principal, id: string): Promise<StatusChange> {
    const result = await cancelMessage(this.db, id, 'notification', visibleClient(principal));
    if (!result.cancelled) {
      if (result.status === undefined) throw new NotFoundError('No notification with this id.');
      throw new InvalidStateError(`The notification is ${result.status} and can no longer be cancelled.`);
    }
    this.onWebhookDeliveries(result.webhookDeliveries);
    // The claim would refuse a cancelled row anyway; removing the job just frees Redis sooner.
    try {
      const job = await this.queue.getJob(id);
      if (job !== undefined && !(await job.isActive())) await job.remove();
    } catch {
      // Redis being down must not block the operator; the claim protocol keeps this safe.
    }
    return { id, kind: 'notification', status: 'cancelled' };
  }

  /**
   * Re-queues a failed message of any kind with a fresh attempt budget. A `queued` answer means
   * a job exists for it; when Redis cannot be reached the row is `pending` for the sweeper.
   */
  async retry(id: string): Promise<StatusChange> {
    const result = await retryMessage(this.db, id);
    if (result.retried === undefined) {
      if (result.status === undefined) throw new NotFoundError('No message with this id.');
      throw new InvalidStateError(`The message is ${result.status}; only failed messages can be retried.`);
    }
    const spec = result.retried;
    try {
      const { added, live } = await this.enqueuer.replaceJobs([spec], { waitForActive: true });
      // A waiting or delayed job will claim the row; one still active after the wait will not, so the sweeper takes over.
      const hasRunnableJob = added.length > 0 || live.length > 0;
      if (hasRunnableJob) return { id, kind: spec.kind, status: 'queued' };
    } catch (error) {
      this.logger.warn({ err: error, messageId: id }, 'retry could not be enqueued; left pending for the sweeper');
    }
    await markPending(this.db, [id]);
    return { id, kind: spec.kind, status: 'pending' };
  }
}

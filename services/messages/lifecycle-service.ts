import type { Principal } from '../auth/scopes';
import { tableOf } from '../delivery/repository';
import type { Db } from '../platform/db';
import type { MessageKind, MessageStatus } from '../platform/database';
import { conflict, notFound } from '../platform/errors';
import type { DeliveryQueue } from '../platform/queue';
import type { MessageEnqueuer } from './enqueuer';
import { visibleClient } from './views';

export interface StatusChange {
  readonly id: string;
  readonly kind: MessageKind;
  readonly status: MessageStatus;
}

/** Operator actions on accepted messages: cancel before sending, retry after failing. */
export class MessageLifecycleService {
  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
    private readonly enqueuer: MessageEnqueuer,
  ) {}

  /** Cancels a notification that has not been sent; 409 once it is sending or finished. */
  async cancelNotification(principal: Principal, id: string): Promise<StatusChange> {
    const clientId = visibleClient(principal);
    let update = this.db
      .updateTable('notifications')
      .set({ status: 'cancelled', updated_at: new Date() })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'queued', 'scheduled']);
    if (clientId !== undefined) update = update.where('client_id', '=', clientId);
    const cancelled = await update.returning('id').executeTakeFirst();
    if (cancelled === undefined) {
      let lookup = this.db.selectFrom('notifications').select('status').where('id', '=', id);
      if (clientId !== undefined) lookup = lookup.where('client_id', '=', clientId);
      const current = await lookup.executeTakeFirst();
      if (current === undefined) throw notFound('No notification with this id.');
      throw conflict(`The notification is ${current.status} and can no longer be cancelled.`);
    }
    // The claim would refuse a cancelled row anyway; removing the job just frees Redis sooner.
    await this.removeFinishedOrWaitingJob(id);
    return { id, kind: 'notification', status: 'cancelled' };
  }

  /** Re-queues a failed message of either kind with a fresh attempt budget. */
  async retry(id: string): Promise<StatusChange> {
    for (const kind of ['notification', 'contact'] as const) {
      const row = await this.db
        .selectFrom(tableOf(kind))
        .select(['status'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row === undefined) continue;
      if (row.status !== 'failed') throw conflict(`The message is ${row.status}; only failed messages can be retried.`);
      await this.removeFinishedOrWaitingJob(id);
      const updated = await this.db
        .updateTable(tableOf(kind))
        .set({ status: 'queued', retry_count: 0, error_message: null, updated_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .returning('id')
        .executeTakeFirst();
      if (updated === undefined) throw conflict('The message changed while retrying; try again.');
      const enqueued = await this.enqueuer.enqueue([{ id, kind }]);
      return { id, kind, status: enqueued ? 'queued' : 'pending' };
    }
    throw notFound('No message with this id.');
  }

  private async removeFinishedOrWaitingJob(id: string): Promise<void> {
    try {
      const job = await this.queue.getJob(id);
      if (job !== undefined && !(await job.isActive())) await job.remove();
    } catch {
      // Redis being down must not block the operator; the claim protocol keeps this safe.
    }
  }
}

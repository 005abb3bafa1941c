import type { Db } from '../services/database';
import { findExpiredLeases, findWaiting, reclaimExpired, type SweepCursor, takePending, withSweeperLock } from '../services/lifecycle/sweep';
import type { MessageEnqueuer } from '../services/messages/enqueuer';
import type { Config } from '../services/platform/config';
import type { DeliveryQueue } from '../services/platform/queue';
import type { ValidationJobStore } from '../services/validation/job-store';
import { enqueueValidationJob, type ValidationQueue } from '../services/validation/validation-queue';
import { PeriodicPass } from './periodic-pass';

/** The validation jobs the sweeper looks after: unfinished rows whose queue entry is gone. */
export interface SweptValidationJobs {
  readonly store: ValidationJobStore;
  readonly queue: ValidationQueue;
}

/** Rows looked at per pass and per query: each costs a Redis lookup of its job. */
const PAGE = 500;

export interface SweepReport {
  /** False when another replica held the lock. */
  readonly ran: boolean;
  readonly requeued: number;
  readonly reclaimed: number;
}

/**
 * Finds accepted messages the queue lost track of and hands them back: pending rows (Redis was
 * down at accept), queued rows (and scheduled ones whose time has come) whose job is gone (Redis
 * lost data), and `sending` rows whose lease ran out and whose job is no longer active (the
 * worker died). The queries are lifecycle's; this is only the loop. Emits 'error' rather than
 * throwing from its loop.
 */
export class Sweeper extends PeriodicPass<SweepReport> {
  /** Where the walk through waiting rows stopped; undefined to start from the oldest. */
  private cursor: SweepCursor | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
    private readonly enqueuer: MessageEnqueuer,
    private readonly config: Pick<Config, 'sweeper'>,
    private readonly validationJobs?: SweptValidationJobs,
  ) {
    super(config.sweeper.intervalMs);
  }

  /** One pass, under the sweeper lock so that one replica sweeps at a time. */
  async sweep(): Promise<SweepReport> {
    const report = await withSweeperLock(this.db, async (trx) => {
      const graceCutoff = new Date(Date.now() - this.config.sweeper.graceMs);
      const reclaimed = await this.reclaim(trx);
      let requeued = (await this.enqueuer.replaceJobs(await takePending(trx, graceCutoff, PAGE), { waitForActive: false })).added.length;
      requeued += await this.requeueWaiting(trx, graceCutoff);
      requeued += await this.requeueValidationJobs(graceCutoff);
      return { ran: true, requeued, reclaimed };
    });
    return report ?? { ran: false, requeued: 0, reclaimed: 0 };
  }

  /**
   * Unfinished validation jobs idle past the grace period whose queue entry is missing or
   * finished (Redis lost it, or the API could not add it): added again. A live entry (waiting,
   * active, or stalled and about to be retried by BullMQ) is left alone.
   */
  private async requeueValidationJobs(graceCutoff: Date): Promise<number> {
    if (this.validationJobs === undefined) return 0;
    const { store, queue } = this.validationJobs;
    let added = 0;
    for (const id of await store.idleUnfinished(graceCutoff, PAGE)) {
      const job = await queue.getJob(id);
      const state = await job?.getState();
      if (state !== undefined && state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      await job?.remove().catch(() => undefined);
      await enqueueValidationJob(queue, id);
      added += 1;
    }
    return added;
  }

  /** Expired leases whose job is still active are a live send (or BullMQ's stall check's to handle): left alone. */
  private async reclaim(trx: Db): Promise<number> {
    const expired = await findExpiredLeases(trx, PAGE);
    const states = await Promise.all(expired.map(async (row) => (await this.queue.getJob(row.id))?.getState()));
    const inactive = expired.filter((_, index) => states[index] !== 'active');
    const reclaimed = await reclaimExpired(trx, inactive.map((row) => row.id));
    return (await this.enqueuer.replaceJobs(reclaimed, { waitForActive: false })).added.length;
  }

  /**
   * Looks at the next page of waiting rows after where the last pass stopped, re-adding the jobs
   * that are missing; most rows have a live job, so the walk must move on rather than look at
   * the same oldest rows every pass (it starts over once it reaches the end). One page per pass
   * bounds the Redis lookups a pass makes. Returns how many jobs it added.
   */
  private async requeueWaiting(trx: Db, graceCutoff: Date): Promise<number> {
    const rows = await findWaiting(trx, graceCutoff, this.cursor, PAGE);
    const last = rows[rows.length - 1];
    this.cursor = last === undefined || rows.length < PAGE ? undefined : { updatedAtUs: last.updated_at_us, id: last.id };
    return (await this.enqueuer.replaceJobs(rows, { waitForActive: false })).added.length;
  }
}

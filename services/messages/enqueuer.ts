import type { JobState } from 'bullmq';
import type { Db } from '../database';
import type { JobSpec } from '../lifecycle/send-columns';
import { markPending } from '../lifecycle/mark-pending';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { type DeliveryQueue, type EnqueueRequest, enqueueDeliveries } from '../platform/queue';
import { withTimeout } from '../platform/with-timeout';

const ENQUEUE_TIMEOUT_MS = 1500;
/** How long a retry waits for the job of the failed attempt to leave BullMQ's active list. */
const ACTIVE_JOB_SETTLE_MS = 10_000;

/** The job request for a row: delayed until its send_at, at its priority. */
export function enqueueRequestFor(row: JobSpec, now = Date.now()): EnqueueRequest {
  return {
    id: row.id,
    kind: row.kind,
    delayMs: row.send_at !== null ? row.send_at.getTime() - now : undefined,
    priority: row.priority,
  };
}

/**
 * Hands accepted rows to the queue. Rows are stored `queued` (or `scheduled`) by the accepting
 * INSERT, so the hot path writes once; when Redis cannot take the jobs the rows are set back to
 * `pending` and the sweeper enqueues them later.
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
      await markPending(this.db, requests.map((r) => r.id));
      return false;
    }
    try {
      await withTimeout(enqueueDeliveries(this.queue, this.config, requests), ENQUEUE_TIMEOUT_MS, `queue did not answer within ${ENQUEUE_TIMEOUT_MS} ms`);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, count: requests.length }, 'enqueue failed; rows left pending for the sweeper');
      await markPending(this.db, requests.map((r) => r.id));
      return false;
    }
  }

  /**
   * Adds jobs for rows that may have had one before (a retry, the sweeper). BullMQ ignores an
   * add whose job id exists, so a finished job is removed first; a job still active (the failed
   * attempt finishing) is waited for, so that the add is never silently dropped. A live waiting
   * or delayed job is left as it is: it will find the row claimable. Returns the rows given a
   * job, and those whose waiting or delayed job was left.
   */
  async replaceJobs(rows: readonly JobSpec[], options: { waitForActive: boolean }): Promise<{ added: JobSpec[]; live: JobSpec[] }> {
    const toAdd: JobSpec[] = [];
    const live: JobSpec[] = [];
    await Promise.all(
      rows.map(async (row) => {
        const job = await this.queue.getJob(row.id);
        if (job !== undefined) {
          let state = await job.getState();
          if (state === 'active' && options.waitForActive) state = await this.settled(row.id);
          // Still active: its worker owns the row for now; neither added nor live.
          if (state === 'active') return;
          if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return void live.push(row);
          await job.remove().catch(() => undefined);
        }
        toAdd.push(row);
      }),
    );
    const now = Date.now();
    await enqueueDeliveries(this.queue, this.config, toAdd.map((row) => enqueueRequestFor(row, now)));
    return { added: toAdd, live };
  }

  /** Polls an active job's state until it is no longer active, or the deadline passes. */
  private async settled(id: string): Promise<JobState | 'unknown'> {
    const deadline = Date.now() + ACTIVE_JOB_SETTLE_MS;
    for (;;) {
      const state = (await (await this.queue.getJob(id))?.getState()) ?? 'unknown';
      if (state !== 'active' || Date.now() > deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

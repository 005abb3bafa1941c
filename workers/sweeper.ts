import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type { Config } from '../services/platform/config';
import type { Db } from '../services/platform/db';
import type { MessageKind } from '../services/platform/database';
import { tableOf } from '../services/delivery/repository';
import { type DeliveryQueue, type EnqueueRequest, enqueueDeliveries } from '../services/platform/queue';

// Any constant shared by all replicas: only the holder sweeps.
const SWEEPER_LOCK_KEY = 0x48525357; // "HRSW"
const BATCH = 500;

interface StuckRow {
  id: string;
  send_at: Date | null;
  priority: number | null;
}

export interface SweepReport {
  /** False when another replica held the lock. */
  readonly ran: boolean;
  readonly requeued: number;
  readonly reclaimed: number;
}

/**
 * Finds accepted messages the queue lost track of and hands them back:
 * pending rows (Redis was down at accept), queued rows whose job is gone
 * (Redis lost data), and `sending` rows whose worker died (lease expired).
 * Emits 'error' rather than throwing from its loop.
 */
export class Sweeper extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
    private readonly config: Config,
  ) {
    super();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.sweep()
        .then((report) => this.emit('swept', report))
        .catch((error: unknown) => this.emit('error', error))
        .finally(() => (this.running = undefined));
    }, this.config.sweeper.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass, under a transaction-scoped advisory lock so that one replica sweeps at a time. */
  async sweep(): Promise<SweepReport> {
    return this.db.transaction().execute(async (trx) => {
      const locked = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${SWEEPER_LOCK_KEY}) as locked`.execute(trx);
      if (locked.rows[0]?.locked !== true) return { ran: false, requeued: 0, reclaimed: 0 };
      let requeued = 0;
      let reclaimed = 0;
      for (const kind of ['contact', 'notification'] as const) {
        const table = sql.table(tableOf(kind));
        // Contact messages are never scheduled or prioritised; give them the same shape.
        const columns = kind === 'notification' ? sql`id, send_at, priority` : sql`id, null::timestamptz as send_at, null::int as priority`;
        const expired = await sql<StuckRow>`
          update ${table} set status = 'queued', lease_until = null, updated_at = now()
           where id in (select id from ${table} where status = 'sending' and lease_until < now() limit ${BATCH})
          returning ${columns}`.execute(trx);
        reclaimed += await this.requeue(kind, expired.rows);
        const graceCutoff = new Date(Date.now() - this.config.sweeper.graceMs);
        const pending = await sql<StuckRow>`
          update ${table} set status = ${kind === 'notification' ? sql`case when send_at > now() then 'scheduled' else 'queued' end` : sql`'queued'`}, updated_at = now()
           where id in (select id from ${table} where status = 'pending' and updated_at < ${graceCutoff} limit ${BATCH})
          returning ${columns}`.execute(trx);
        requeued += await this.requeue(kind, pending.rows);
        const waiting = await sql<StuckRow>`
          select ${columns} from ${table}
           where status in ('queued', 'scheduled') and updated_at < ${graceCutoff}
           order by updated_at limit ${BATCH}`.execute(trx);
        requeued += await this.requeue(kind, waiting.rows);
      }
      return { ran: true, requeued, reclaimed };
    });
  }

  /** Adds jobs for rows; a finished job with the same id is removed first, since BullMQ would ignore the add. */
  private async requeue(kind: MessageKind, rows: readonly StuckRow[]): Promise<number> {
    const requests: EnqueueRequest[] = [];
    const now = Date.now();
    for (const row of rows) {
      const job = await this.queue.getJob(row.id);
      if (job !== undefined) {
        const state = await job.getState();
        // A live job will find the row claimable; leave it be.
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
        await job.remove().catch(() => undefined);
      }
      requests.push({
        id: row.id,
        kind,
        delayMs: row.send_at !== null ? row.send_at.getTime() - now : undefined,
        priority: row.priority ?? undefined,
      });
    }
    await enqueueDeliveries(this.queue, this.config, requests);
    return requests.length;
  }
}

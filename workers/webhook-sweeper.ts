import { EventEmitter } from 'node:events';
import { withSweeperLock } from '../services/lifecycle/sweep';
import type { Db } from '../services/database';
import type { Config } from '../services/platform/config';
import type { WebhookQueue } from '../services/webhooks/queue';
import { WebhookStore } from '../services/webhooks/store';
import { requeueLostDeliveries } from '../services/webhooks/sweep';

/** Re-adds the jobs of webhook deliveries overdue by the grace period; emits 'swept' and 'error'. */
export class WebhookSweeper extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: WebhookQueue,
    private readonly config: Pick<Config, 'sweeper'>,
  ) {
    super();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.sweep()
        .then((requeued) => this.emit('swept', requeued))
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

  /** One pass under the sweeper lock; the number of jobs added (0 when another replica sweeps). */
  async sweep(): Promise<number> {
    const added = await withSweeperLock(this.db, (trx) =>
      requeueLostDeliveries(new WebhookStore(trx), this.queue, new Date(Date.now() - this.config.sweeper.graceMs)),
    );
    return added ?? 0;
  }
}

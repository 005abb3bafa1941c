import { withSweeperLock } from '../services/lifecycle/sweep';
import type { Db } from '../services/database';
import type { Config } from '../services/platform/config';
import type { WebhookQueue } from '../services/webhooks/queue';
import { WebhookStore } from '../services/webhooks/store';
import { requeueLostDeliveries } from '../services/webhooks/sweep';
import { PeriodicPass } from './periodic-pass';

/** Re-adds the jobs of webhook deliveries overdue by the grace period; emits 'swept' and 'error'. */
export class WebhookSweeper extends PeriodicPass<number> {
  constructor(
    private readonly db: Db,
    private readonly queue: WebhookQueue,
    private readonly config: Pick<Config, 'sweeper'>,
  ) {
    super(config.sweeper.intervalMs);
  }

  /** One pass under the sweeper lock; the number of jobs added (0 when another replica sweeps). */
  async sweep(): Promise<number> {
    const added = await withSweeperLock(this.db, (trx) =>
      requeueLostDeliveries(new WebhookStore(trx), this.queue, new Date(Date.now() - this.config.sweeper.graceMs)),
    );
    return added ?? 0;
  }
}

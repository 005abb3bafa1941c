import type { Db } from '../database';
import { type EngagementHit, type EngagementResult, recordEngagement } from '../lifecycle/record-engagement';
import { Coalescer } from '../platform/coalescer';

/** Hits arriving together share one statement; two in flight keep Postgres busy while the next batch gathers. */
const GROUP_COMMIT = { maxInFlight: 2, maxBatch: 200 } as const;

/** Opens and clicks, group-committed: N concurrent requests cost one lookup-and-insert statement. */
export class EngagementRecorder {
  readonly #hits: Coalescer<EngagementHit, EngagementResult>;

  constructor(
    db: Db,
    /** Told the webhook deliveries the events wrote, to enqueue them. */
    dispatch: (deliveryIds: readonly string[]) => void,
  ) {
    this.#hits = new Coalescer(async (hits) => {
      const { results, webhookDeliveries } = await recordEngagement(db, hits);
      dispatch(webhookDeliveries);
      return results;
    }, GROUP_COMMIT);
  }

  record(hit: EngagementHit): Promise<EngagementResult> {
    return this.#hits.submit(hit);
  }
}

import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../database';
import type { HeraldMetrics } from '../platform/metrics';
import type { DeliveryQueue } from '../platform/queue';
import { jobCountsByState, oldestWaitingJobAgeSeconds } from '../platform/queue-stats';

const CHART_MINUTES = 60;
const PROVIDER_WINDOW_MINUTES = 15;

export const overviewViewSchema = z.object({
  messages_24h: z.record(z.string(), z.number().int()).meta({ description: 'Messages created in the last 24 h, by their status now.' }),
  deliveries_per_minute: z
    .array(z.object({ minute: z.string(), sent: z.number().int(), failed: z.number().int() }))
    .meta({ description: 'The last 60 minutes with any delivery, oldest first: messages that reached sent (or delivered) and failed in each minute.' }),
  providers: z
    .array(
      z.object({
        provider: z.string(),
        circuit: z.enum(['open', 'closed', 'unknown']).meta({ description: "This process's circuit breaker; unknown when the workers run in other processes." }),
        tries_15m: z.number().int(),
        failures_15m: z.number().int(),
      }),
    )
    .meta({ description: 'Every provider tried in the last 15 minutes, and every provider this process guards.' }),
  queue: z.object({ counts: z.record(z.string(), z.number().int()), oldest_waiting_s: z.number() }),
  live_workers: z.number().int(),
});
export type OverviewView = z.infer<typeof overviewViewSchema>;

/** GET /api/admin/overview: what the console's first page shows, in one answer (console.md). */
export class AdminOverview {
  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
    private readonly metrics: HeraldMetrics,
    private readonly liveWorkers: () => Promise<number>,
  ) {}

  async read(now: Date = new Date()): Promise<OverviewView> {
    const dayAgo = new Date(now.getTime() - 24 * 3600_000);
    const hourAgo = new Date(now.getTime() - CHART_MINUTES * 60_000);
    const windowStart = new Date(now.getTime() - PROVIDER_WINDOW_MINUTES * 60_000);
    // Both message queries range over the (kind, created_at) index: the last day's messages only.
    const [statuses, minutes, tries, counts, oldest, workers] = await Promise.all([
      this.db
        .selectFrom('messages')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .where('kind', 'in', ['contact', 'notification'])
        .where('created_at', '>=', dayAgo)
        .groupBy('status')
        .execute(),
      sql<{ minute: Date; sent: string; failed: string }>`
        select date_trunc('minute', coalesce(sent_at, updated_at)) as minute,
               count(*) filter (where status in ('sent', 'delivered')) as sent,
               count(*) filter (where status = 'failed') as failed
          from messages
         where kind in ('contact', 'notification') and created_at >= ${dayAgo}
           and status in ('sent', 'delivered', 'failed')
           and coalesce(sent_at, updated_at) >= ${hourAgo}
         group by 1 order by 1`.execute(this.db),
      sql<{ provider: string; tries: string; failures: string }>`
        select a.provider, count(*) as tries, count(*) filter (where a.outcome in ('transient', 'permanent')) as failures
          from messages m join delivery_attempts a on a.message_id = m.id
         where m.kind in ('contact', 'notification') and m.created_at >= ${dayAgo} and a.at >= ${windowStart}
         group by a.provider order by a.provider`.execute(this.db),
      jobCountsByState(this.queue),
      oldestWaitingJobAgeSeconds(this.queue, now.getTime()),
      this.liveWorkers(),
    ]);
    const circuits = this.metrics.circuitStates();
    const providers = new Map<string, OverviewView['providers'][number]>();
    for (const row of tries.rows) {
      providers.set(row.provider, { provider: row.provider, circuit: circuitOf(circuits, row.provider), tries_15m: Number(row.tries), failures_15m: Number(row.failures) });
    }
    for (const provider of circuits.keys()) {
      if (!providers.has(provider)) providers.set(provider, { provider, circuit: circuitOf(circuits, provider), tries_15m: 0, failures_15m: 0 });
    }
    return {
      messages_24h: Object.fromEntries(statuses.map((row) => [row.status, Number(row.count)])),
      deliveries_per_minute: minutes.rows.map((row) => ({ minute: new Date(row.minute).toISOString(), sent: Number(row.sent), failed: Number(row.failed) })),
      providers: [...providers.values()].sort((a, b) => a.provider.localeCompare(b.provider)),
      queue: { counts, oldest_waiting_s: oldest },
      live_workers: workers,
    };
  }
}

function circuitOf(circuits: ReadonlyMap<string, boolean>, provider: string): 'open' | 'closed' | 'unknown' {
  const open = circuits.get(provider);
  return open === undefined ? 'unknown' : open ? 'open' : 'closed';
}

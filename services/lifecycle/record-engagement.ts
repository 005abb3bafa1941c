import { sql } from 'kysely';
import type { Db } from '../database';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

/** One request for a tracking URL: the token it carried and what is known of who asked. */
export interface EngagementHit {
  readonly token: string;
  /** The pixel or a link: a token of the other kind records nothing. */
  readonly kind: 'open' | 'click';
  /** Cut to a few hundred characters by the caller. */
  readonly userAgent: string;
  /** A keyed hash of the address, never the address. */
  readonly ipHash: string | null;
  /** The agent alone says it is a machine (a privacy proxy, a prefetcher, a scanner). */
  readonly machineAgent: boolean;
}

/** What a hit found: the link's target for a click (undefined for an unknown token). */
export interface EngagementResult {
  readonly found: boolean;
  readonly url: string | null;
}

/** A hit this soon after the send is a machine whatever its agent says: people do not open mail that fast. */
const HUMAN_DELAY = '2 seconds';

/**
 * Record opens and clicks: each hit's token is looked up and, when it is the message's pixel or
 * one of its links, an `opened` or `clicked` event is appended (first and repeats alike) with its
 * webhook deliveries, in one statement for the whole batch. `machine` is true for a machine agent
 * or a hit within two seconds of the send (or before the send is recorded). Returns one result
 * per hit, in order, and the deliveries to enqueue.
 */
export async function recordEngagement(db: Db, hits: readonly EngagementHit[]): Promise<{ results: EngagementResult[]; webhookDeliveries: string[] }> {
  if (hits.length === 0) return { results: [], webhookDeliveries: [] };
  const result = await sql<{ ord: number; url: string | null; webhook_deliveries: string[] }>`
    with v as (
      select * from unnest(
        ${hits.map((_, i) => i)}::int[], ${hits.map((h) => h.token)}::text[], ${hits.map((h) => h.kind)}::text[],
        ${hits.map((h) => h.userAgent)}::text[], ${hits.map((h) => h.ipHash)}::text[], ${hits.map((h) => h.machineAgent)}::boolean[]
      ) as v(ord, token, link_kind, user_agent, ip_hash, machine_agent)
    ), hit as (
      select v.ord, v.link_kind, v.user_agent, v.ip_hash, t.position, t.url,
             m.id, m.client_id, m.kind, m.tags, m.metadata,
             case when v.machine_agent then 'agent'
                  when m.sent_at is null or now() - m.sent_at < ${HUMAN_DELAY}::interval then 'too_soon' end as machine_reason
        from v
        join tracked_links t on t.token = v.token and t.kind = v.link_kind
        join messages m on m.id = t.message_id
    ), events as (
      insert into message_events (message_id, type, data)
      select id, case link_kind when 'open' then 'opened' else 'clicked' end,
             jsonb_build_object('machine', machine_reason is not null, 'user_agent', user_agent, 'ip_hash', ip_hash)
               || case when machine_reason is null then '{}'::jsonb else jsonb_build_object('machine_reason', machine_reason) end
               || case when link_kind = 'click' then jsonb_build_object('position', position) else '{}'::jsonb end
        from hit
        order by ord
      returning ${EVENT_RETURNING}
    ), ${webhookDeliveriesCte('hit')}
    select ord, url, ${WEBHOOK_DELIVERY_IDS} from hit`.execute(db);
  const byOrd = new Map(result.rows.map((row) => [row.ord, row.url]));
  return {
    results: hits.map((_, i) => ({ found: byOrd.has(i), url: byOrd.get(i) ?? null })),
    webhookDeliveries: webhookDeliveryIds(result.rows),
  };
}

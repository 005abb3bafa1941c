import { sql } from 'kysely';
import type { Db } from '../database';
import type { EventType } from '../domain/event-types';
import { EVENT_RETURNING, WEBHOOK_DELIVERY_IDS, webhookDeliveriesCte, webhookDeliveryIds } from './webhook-deliveries';

/** The providers whose events Herald takes in. */
export type EventProvider = 'sendgrid' | 'mailgun';

/**
 * What an event does beyond being recorded: `deliver` moves sent → delivered; `hard_bounce`
 * moves sent|delivered → bounced and suppresses the address; `drop` (the provider gave up
 * without a bounce) moves to bounced without suppressing; `complaint` suppresses the address;
 * `none` is recorded only (soft bounces, opens, clicks).
 */
export type ProviderEventEffect = 'deliver' | 'hard_bounce' | 'drop' | 'complaint' | 'none';

/** One provider event, read from the provider's payload. */
export interface ProviderEventInput {
  /** The provider's own id of the event: the same event posted twice is recorded once. */
  readonly providerEventId: string;
  /** Herald's id of the message, when the event carries it (custom args, variables, our Message-ID). */
  readonly heraldId?: string;
  /** The forms the provider's message id may have been stored in when it was sent. */
  readonly providerMessageIds: readonly string[];
  readonly type: Extract<EventType, 'delivered' | 'bounced' | 'complained' | 'opened' | 'clicked'>;
  readonly effect: ProviderEventEffect;
  /** The address the event is about, lower-cased; kept and suppressed only when it is one of the message's recipients. */
  readonly recipient?: string;
  /** When the provider says it happened. */
  readonly at?: Date;
  /** The event row's data: no address (the recipient is added when the row holds it). */
  readonly data: Readonly<Record<string, unknown>>;
  /** A bounce's reason, shown as the message's error. */
  readonly reason?: string;
}

export interface RecordedProviderEvents {
  /** Events whose message was found. */
  readonly matched: number;
  /** Events written (matched and not seen before). */
  readonly recorded: number;
  /** Messages whose status moved. */
  readonly moved: number;
  /** Suppressions added or renewed. */
  readonly suppressed: number;
  /** Webhook deliveries written, to be enqueued. */
  readonly webhookDeliveries: string[];
}

/**
 * Record provider events (DESIGN section 4: sent ──provider event──▶ delivered | bounced): in one
 * statement, each event whose message is found (by Herald's id, else by the provider's message id)
 * is appended to `message_events` unless that event was recorded before; the new ones move their
 * message forward only (sent → delivered, sent|delivered → bounced; never back, never from any
 * other state), suppress the address that hard-bounced or complained for the message's client,
 * and write their webhook deliveries. Events for unknown messages are skipped.
 */
export async function recordProviderEvents(
  db: Db,
  provider: EventProvider,
  events: readonly ProviderEventInput[],
  options: { readonly bounceSuppressionDays: number },
): Promise<RecordedProviderEvents> {
  if (events.length === 0) return { matched: 0, recorded: 0, moved: 0, suppressed: 0, webhookDeliveries: [] };
  const rows = events.map((event, ord) => ({
    ord,
    herald_id: event.heraldId ?? null,
    provider_message_ids: event.providerMessageIds,
    provider_event_id: event.providerEventId,
    type: event.type,
    effect: event.effect,
    recipient: event.recipient ?? null,
    at: event.at?.toISOString() ?? null,
    data: event.data,
    reason: event.reason ?? null,
  }));
  // A literal, not a parameter, so the planner can use the partial index on provider_message_id.
  const viaProvider = sql.lit(provider);
  const result = await sql<{ matched: number; recorded: number; moved: number; suppressed: number; webhook_deliveries: string[] }>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(
        ord int, herald_id uuid, provider_message_ids text[], provider_event_id text, type text, effect text,
        recipient text, at timestamptz, data jsonb, reason text)
    ), matched as (
      select v.*, m.id as message_id, m.client_id, m.kind, m.tags, m.metadata,
             v.recipient is not null and v.recipient in (select lower(r) from unnest(m."to" || m.cc || m.bcc) r) as own_recipient
        from v
        join lateral (
          (select id, client_id, kind, tags, metadata, "to", cc, bcc from messages where id = v.herald_id)
          union all
          (select id, client_id, kind, tags, metadata, "to", cc, bcc from messages
            where v.herald_id is null and provider = ${viaProvider} and provider_message_id = any(v.provider_message_ids))
          limit 1
        ) m on true
    ), events as (
      insert into message_events (message_id, type, at, data, provider_event_id)
      select message_id, type, least(coalesce(at, now()), now()),
             data || jsonb_build_object('source', ${provider}::text) || case when own_recipient then jsonb_build_object('recipient', recipient) else '{}' end,
             provider_event_id
        from matched
       order by ord
      on conflict (message_id, provider_event_id) where provider_event_id is not null do nothing
      returning ${EVENT_RETURNING}, provider_event_id
    ), acted as (
      select mt.* from events e join matched mt on mt.message_id = e.message_id and mt.provider_event_id = e.provider_event_id
    ), moves as (
      select message_id,
             case when bool_or(effect in ('hard_bounce', 'drop')) then 'bounced' else 'delivered' end as target,
             (array_agg(left(reason, 500) order by ord) filter (where effect in ('hard_bounce', 'drop') and reason is not null))[1] as reason
        from acted where effect in ('deliver', 'hard_bounce', 'drop')
       group by message_id
    ), moved as (
      update messages as m
         set status = mv.target, error_message = coalesce(mv.reason, m.error_message), updated_at = now()
        from moves mv
       where m.id = mv.message_id
         and ((mv.target = 'delivered' and m.status = 'sent') or (mv.target = 'bounced' and m.status in ('sent', 'delivered')))
      returning m.id
    ), suppressed as (
      insert into suppressions as s (client_id, address, reason, message_id, expires_at)
      select distinct on (client_id, recipient) client_id, recipient,
             case when effect = 'complaint' then 'complaint' else 'hard_bounce' end, message_id,
             case when effect = 'complaint' then null else now() + make_interval(days => ${options.bounceSuppressionDays}::int) end
        from acted
       where effect in ('hard_bounce', 'complaint') and own_recipient
       order by client_id, recipient, (effect = 'complaint') desc, ord
      on conflict on constraint suppressions_client_address do update
         set reason = excluded.reason, expires_at = excluded.expires_at, message_id = excluded.message_id, created_at = now()
       -- Never weaken an entry: a complaint outranks a bounce or an unsubscribe, a bounce renews a
       -- bounce, anything replaces an expired entry; an unsubscribe or a manual entry stays.
       where (s.expires_at is not null and s.expires_at <= now())
          or (excluded.reason = 'complaint' and s.reason in ('hard_bounce', 'unsubscribed'))
          or (excluded.reason = 'hard_bounce' and s.reason = 'hard_bounce')
      returning s.id
    ), sources as (
      select distinct on (message_id) message_id as id, client_id, kind, tags, metadata from matched order by message_id
    ), ${webhookDeliveriesCte('sources')}
    select (select count(*) from matched)::int as matched, (select count(*) from events)::int as recorded,
           (select count(*) from moved)::int as moved, (select count(*) from suppressed)::int as suppressed, ${WEBHOOK_DELIVERY_IDS}`.execute(db);
  const row = result.rows[0];
  return {
    matched: row?.matched ?? 0,
    recorded: row?.recorded ?? 0,
    moved: row?.moved ?? 0,
    suppressed: row?.suppressed ?? 0,
    webhookDeliveries: webhookDeliveryIds(result.rows),
  };
}

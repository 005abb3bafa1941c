import { type RawBuilder, sql } from 'kysely';

/**
 * The webhook half of every statement that appends message events (design/webhooks.md): the
 * CTE named `events` (inserted `message_events` rows returning id, message_id, type, at, data)
 * joined with `source` (the messages written, with id, client_id, kind, tags, metadata) and the
 * client's enabled endpoints whose filter takes the event, inserting one `webhook_deliveries`
 * row per pair in the same statement. A client without endpoints costs one probe of an empty
 * partial index per event and writes nothing.
 *
 * Used as `with …, events as (insert … returning ${EVENT_RETURNING}), ${webhookDeliveriesCte('written')}
 * select …, ${WEBHOOK_DELIVERY_IDS} from …`.
 */
export const EVENT_RETURNING = sql`id, message_id, type, at, data`;

/** Metadata larger than this stays out of the payload, which must stay under 20 KB. */
const MAX_METADATA_BYTES = 8192;

export function webhookDeliveriesCte(source: string): RawBuilder<unknown> {
  const s = sql.ref(source);
  return sql`webhook_deliveries_written as (
      insert into webhook_deliveries (endpoint_id, event_id, type, payload, event_at)
      select w.id, 'evt_' || e.id, 'message.' || e.type,
             jsonb_build_object(
               'type', 'message.' || e.type,
               'timestamp', to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'data', e.data || jsonb_build_object(
                 'id', m.id, 'kind', m.kind, 'status', e.type, 'tags', to_jsonb(m.tags),
                 'metadata', case when octet_length(m.metadata::text) <= ${MAX_METADATA_BYTES} then m.metadata else '{}'::jsonb end)),
             e.at
        from events e
        join ${s} m on m.id = e.message_id
        join webhook_endpoints w on w.client_id = m.client_id and w.enabled
             and (cardinality(w.event_types) = 0 or 'message.' || e.type = any(w.event_types))
      returning id
    )`;
}

/** A column of the statement's answer: the ids of the deliveries it wrote, to be enqueued. */
export const WEBHOOK_DELIVERY_IDS = sql`(select coalesce(array_agg(id), '{}') from webhook_deliveries_written) as webhook_deliveries`;

/** The ids from the first row of an answer with WEBHOOK_DELIVERY_IDS (the same on every row). */
export function webhookDeliveryIds(rows: readonly { webhook_deliveries?: string[] | null }[]): string[] {
  return rows[0]?.webhook_deliveries ?? [];
}

import { sql } from 'kysely';
import type { Db } from '../database';

/** The counts of one day (or all days) before rates are worked out. */
export interface StatsRow {
  readonly day: string | null;
  readonly sent: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
  readonly unique_human_opens: number;
  readonly machine_opens: number;
  readonly unique_clicks: number;
  readonly conversions: number;
  readonly unsubscribes: number;
}

export interface StatsFilter {
  /** undefined: every client's (an admin). */
  readonly clientId: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly tag?: string;
  /** Only messages rendered from these templates. */
  readonly templateIds?: readonly string[];
}

const COUNTED_EVENTS = ['sent', 'delivered', 'bounced', 'complained', 'opened', 'clicked', 'converted', 'unsubscribed'];

/**
 * Engagement counts of the messages accepted in a range of days, per day and in total (the
 * grouping sets' row with day null). Messages are found through their client's creation index,
 * their events through the message index: no index is added to the write paths for reading.
 */
export async function engagementStats(db: Db, filter: StatsFilter): Promise<StatsRow[]> {
  const client = filter.clientId === undefined ? sql`true` : sql`client_id = ${filter.clientId}`;
  const tag = filter.tag === undefined ? sql`true` : sql`tags @> array[${filter.tag}]::text[]`;
  const template = filter.templateIds === undefined ? sql`true` : sql`template_id = any(${[...filter.templateIds]}::uuid[])`;
  const distinct = (type: string, human = false) =>
    sql`count(distinct e.message_id) filter (where e.type = ${type}${human ? sql` and not e.machine` : sql``})::int`;
  const result = await sql<StatsRow>`
    with m as (
      select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day from messages
       where created_at >= ${filter.from}::date and created_at < ${filter.to}::date + 1 and ${client} and ${tag} and ${template}
    ), e as (
      select m.day, ev.message_id, ev.type, coalesce((ev.data ->> 'machine')::boolean, false) as machine
        from m join message_events ev on ev.message_id = m.id
       where ev.type = any(${COUNTED_EVENTS}::text[])
         -- A soft bounce (the provider will try again) is recorded as an event but is no bounce of the message.
         and (ev.type <> 'bounced' or ev.data ->> 'bounce' is distinct from 'soft')
    )
    select e.day,
           ${distinct('sent')} as sent, ${distinct('delivered')} as delivered, ${distinct('bounced')} as bounced,
           ${distinct('complained')} as complained, ${distinct('opened', true)} as unique_human_opens,
           (count(*) filter (where e.type = 'opened' and e.machine))::int as machine_opens,
           ${distinct('clicked', true)} as unique_clicks, ${distinct('converted')} as conversions,
           ${distinct('unsubscribed')} as unsubscribes
      from e
     group by grouping sets ((e.day), ())
     order by e.day nulls first`.execute(db);
  return result.rows;
}

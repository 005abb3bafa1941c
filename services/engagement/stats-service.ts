import type { Principal } from '../auth/scopes';
import type { Db } from '../database';
import { NotFoundError } from '../domain/errors';
import { visibleClient } from '../messages/views';
import type { StatsCounts, StatsQuery, StatsResponse } from './stats-schema';
import { engagementStats, type StatsRow } from './stats-repository';

const EMPTY: StatsRow = {
  day: null,
  sent: 0,
  delivered: 0,
  bounced: 0,
  complained: 0,
  unique_human_opens: 0,
  machine_opens: 0,
  unique_clicks: 0,
  conversions: 0,
  unsubscribes: 0,
};

function withRates(row: StatsRow): StatsCounts {
  const { day: _day, ...counts } = row;
  const over = (count: number) => (row.delivered === 0 ? null : Math.round((count / row.delivered) * 10000) / 10000);
  return {
    ...counts,
    rates: {
      bounce: over(row.bounced),
      complaint: over(row.complained),
      open: over(row.unique_human_opens),
      click: over(row.unique_clicks),
      conversion: over(row.conversions),
      unsubscribe: over(row.unsubscribes),
    },
  };
}

/** GET /api/stats and GET /api/templates/:name/stats. */
export class StatsService {
  constructor(private readonly db: Db) {}

  async stats(principal: Principal, query: StatsQuery, templateName?: string): Promise<StatsResponse> {
    const clientId = visibleClient(principal);
    const templateIds = templateName === undefined ? undefined : await this.templateIds(clientId, principal.clientId, templateName);
    const rows = await engagementStats(this.db, { clientId, ...query, ...(templateIds === undefined ? {} : { templateIds }) });
    const totals = rows.find((row) => row.day === null) ?? EMPTY;
    return {
      from: query.from,
      to: query.to,
      tag: query.tag ?? null,
      template: templateName ?? null,
      totals: withRates(totals),
      days: rows.filter((row) => row.day !== null).map((row) => ({ date: row.day ?? '', ...withRates(row) })),
    };
  }

  /** The ids of the template of that name the caller sends with: its own and the shared one. */
  private async templateIds(visible: string | undefined, own: string, name: string): Promise<string[]> {
    let query = this.db.selectFrom('templates').select('id').where('name', '=', name);
    if (visible !== undefined) query = query.where((eb) => eb.or([eb('client_id', '=', own), eb('client_id', 'is', null)]));
    const rows = await query.execute();
    if (rows.length === 0) throw new NotFoundError('No template with this name.');
    return rows.map((row) => row.id);
  }
}

import type { Principal } from '../auth/scopes';
import { hasScope } from '../auth/scopes';
import { NotFoundError } from '../domain/errors';
import type { Page } from '../messages/pagination';
import { iso } from '../messages/views';
import type { Config } from '../platform/config';
import type { AddSuppressionRequest, SuppressionListQuery, SuppressionView } from './schema';
import type { SuppressionCheck } from './suppression-check';
import type { SuppressionRepository } from './suppression-repository';
import type { SuppressionRow } from './tables';

const DAY_MS = 24 * 60 * 60 * 1000;

function toView(row: SuppressionRow): SuppressionView {
  return {
    address: row.address,
    reason: row.reason,
    scope: row.client_id === null ? 'global' : 'client',
    message_id: row.message_id,
    created_at: iso(row.created_at),
    expires_at: iso(row.expires_at),
  };
}

/** GET, POST /api/suppressions and DELETE /api/suppressions/:address. */
export class SuppressionService {
  constructor(
    private readonly repository: SuppressionRepository,
    private readonly check: SuppressionCheck,
    private readonly config: Pick<Config, 'engagement'>,
  ) {}

  async list(principal: Principal, path: string, query: SuppressionListQuery): Promise<Page<SuppressionView>> {
    const { count, rows } = await this.repository.list(principal.clientId, {
      ...(query.reason === undefined ? {} : { reason: query.reason }),
      ...(query.address === undefined ? {} : { address: query.address }),
      limit: query.page_size,
      offset: (query.page - 1) * query.page_size,
    });
    const link = (page: number) => {
      const params = new URLSearchParams({ page: String(page), page_size: String(query.page_size) });
      if (query.reason !== undefined) params.set('reason', query.reason);
      if (query.address !== undefined) params.set('address', query.address);
      return `${path}?${params.toString()}`;
    };
    return {
      count,
      next: query.page * query.page_size < count ? link(query.page + 1) : null,
      previous: query.page > 1 ? link(query.page - 1) : null,
      results: rows.map(toView),
    };
  }

  async add(principal: Principal, input: AddSuppressionRequest): Promise<SuppressionView> {
    const expiresAt = input.reason === 'hard_bounce' ? new Date(Date.now() + this.config.engagement.bounceSuppressionDays * DAY_MS) : null;
    const row = await this.repository.upsert(principal.clientId, input.address, input.reason, expiresAt);
    this.check.noteSuppressed(principal.clientId);
    return toView(row);
  }

  /** Removes the caller's entry (an admin's removes the one for every client too); NotFoundError when there was none. */
  async remove(principal: Principal, address: string): Promise<void> {
    const removed = await this.repository.remove(principal.clientId, address, hasScope(principal, 'admin'));
    if (removed === 0) throw new NotFoundError('No suppression for this address.');
  }
}

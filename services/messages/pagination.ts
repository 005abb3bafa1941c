import { z } from 'zod';
import type { Principal } from '../auth/scopes';
import { MESSAGE_STATUSES } from '../domain/message-statuses';
import { visibleClient } from './views';

export const MAX_PAGE_SIZE = 100;

export const listQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  status: z.enum(MESSAGE_STATUSES).optional(),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export interface Page<T> {
  readonly count: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly results: readonly T[];
}

/** A page in the `{count, next, previous, results}` shape, with links that keep the filters. */
export function toPage<T>(path: string, query: ListQuery, count: number, results: readonly T[]): Page<T> {
  const link = (page: number) => {
    const params = new URLSearchParams({ page: String(page), page_size: String(query.page_size) });
    if (query.status !== undefined) params.set('status', query.status);
    return `${path}?${params.toString()}`;
  };
  const hasNext = query.page * query.page_size < count;
  return {
    count,
    next: hasNext ? link(query.page + 1) : null,
    previous: query.page > 1 ? link(query.page - 1) : null,
    results,
  };
}

/** The repository filter for one page of what `principal` may see. */
export function listFilterFor(principal: Principal, query: ListQuery) {
  return {
    clientId: visibleClient(principal),
    status: query.status,
    limit: query.page_size,
    offset: (query.page - 1) * query.page_size,
  };
}

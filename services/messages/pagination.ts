import { z } from 'zod';
import type { Principal } from '../auth/scopes';
import { MESSAGE_STATUSES } from '../domain/message-statuses';
import { visibleClient } from './views';

export const MAX_PAGE_SIZE = 100;

export const listQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  status: z.enum(MESSAGE_STATUSES).optional(),
  provider: z.string().regex(/^[a-z][a-z0-9:_-]{0,49}$/, 'must be a provider name').optional().meta({ description: 'The provider that sent it (or last tried).' }),
  tag: z.string().min(1).max(100).optional().meta({ description: 'One of its tags.' }),
  template_id: z.uuid().optional().meta({ description: 'The template it was rendered from.' }),
  created_after: z.iso.datetime({ offset: true }).optional().meta({ description: 'Created at or after this instant (ISO 8601).' }),
  created_before: z.iso.datetime({ offset: true }).optional().meta({ description: 'Created before this instant (ISO 8601).' }),
  q: z.string().trim().min(1).max(320).optional().meta({ description: 'A message id, or a recipient address (to, or the contact form\'s email), exactly.' }),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export interface Page<T> {
  readonly count: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly results: readonly T[];
}

const FILTER_KEYS = ['status', 'provider', 'tag', 'template_id', 'created_after', 'created_before', 'q'] as const;

/** A page in the `{count, next, previous, results}` shape, with links that keep the filters. */
export function toPage<T>(path: string, query: ListQuery, count: number, results: readonly T[]): Page<T> {
  const link = (page: number) => {
    const params = new URLSearchParams({ page: String(page), page_size: String(query.page_size) });
    for (const key of FILTER_KEYS) {
      const value = query[key];
      if (value !== undefined) params.set(key, value);
    }
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
    provider: query.provider,
    tag: query.tag,
    templateId: query.template_id,
    createdAfter: query.created_after === undefined ? undefined : new Date(query.created_after),
    createdBefore: query.created_before === undefined ? undefined : new Date(query.created_before),
    search: query.q,
    limit: query.page_size,
    offset: (query.page - 1) * query.page_size,
  };
}

import { sql } from 'kysely';
import type { Db } from '../database';
import { Coalescer } from '../platform/coalescer';
import type { TrackedLinkKind } from './tables';
import { newToken } from './tokens';

/** A token a message's mail needs: the pixel, a link at its position, or the unsubscribe link. */
export interface WantedLink {
  readonly kind: TrackedLinkKind;
  readonly position: number;
  readonly url: string | null;
}

/** Tokens by `${kind}:${position}`. */
export type LinkTokens = ReadonlyMap<string, string>;

export const linkKey = (kind: TrackedLinkKind, position: number) => `${kind}:${position}`;

/** Concurrent deliveries share one statement, as the delivery ledger's sent-marks do. */
const GROUP_COMMIT = { maxInFlight: 1, maxBatch: 100 } as const;

/**
 * The tokens of each message's tracked links, made once: the first attempt inserts fresh random
 * tokens, every later attempt (a retry, a reclaimed send) reads the same ones back, so a message
 * is always sent with identical links. One statement for all the messages being composed at once.
 */
export class TrackedLinkStore {
  readonly #batches = new Coalescer<{ messageId: string; wanted: readonly WantedLink[] }, LinkTokens>((requests) => this.#tokensOfMany(requests), GROUP_COMMIT);

  constructor(private readonly db: Db) {}

  tokensFor(messageId: string, wanted: readonly WantedLink[]): Promise<LinkTokens> {
    return wanted.length === 0 ? Promise.resolve(new Map()) : this.#batches.submit({ messageId, wanted });
  }

  async #tokensOfMany(requests: readonly { messageId: string; wanted: readonly WantedLink[] }[]): Promise<LinkTokens[]> {
    const rows = requests.flatMap(({ messageId, wanted }) => wanted.map((link) => ({ messageId, ...link, token: newToken() })));
    // Rows already there conflict and come back from the table (the statement's snapshot), new ones from the insert.
    const result = await sql<{ message_id: string; kind: TrackedLinkKind; position: number; token: string }>`
      with v as (
        select * from unnest(${rows.map((r) => r.token)}::text[], ${rows.map((r) => r.messageId)}::uuid[], ${rows.map((r) => r.kind)}::text[],
                             ${rows.map((r) => r.position)}::int[], ${rows.map((r) => r.url)}::text[])
          as v(token, message_id, kind, position, url)
      ), inserted as (
        insert into tracked_links (token, message_id, kind, position, url)
        select token, message_id, kind, position, url from v
        on conflict (message_id, kind, position) do nothing
        returning message_id, kind, position, token
      )
      select message_id, kind, position, token from inserted
      union all
      select message_id, kind, position, token from tracked_links where message_id = any(${requests.map((r) => r.messageId)}::uuid[])`.execute(this.db);
    const byMessage = new Map<string, Map<string, string>>();
    for (const row of result.rows) {
      const tokens = byMessage.get(row.message_id) ?? new Map<string, string>();
      tokens.set(linkKey(row.kind, row.position), row.token);
      byMessage.set(row.message_id, tokens);
    }
    return requests.map((request) => byMessage.get(request.messageId) ?? new Map());
  }
}

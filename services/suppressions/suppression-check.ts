import { sql } from 'kysely';
import type { Db } from '../database';
import { Coalescer } from '../platform/coalescer';
import type { SuppressionReason } from './tables';

/** A recipient taken off a message, and why. */
export interface SuppressedRecipient {
  readonly address: string;
  readonly reason: SuppressionReason;
}

/** What the check needs of a message about to be accepted. */
export interface Addressed {
  readonly client_id: string;
  readonly category?: 'transactional' | 'marketing' | undefined;
  readonly to: readonly string[];
  readonly cc?: readonly string[] | undefined;
  readonly bcc?: readonly string[] | undefined;
}

/** The message's recipients with the suppressed ones removed, and those. */
export interface CheckedRecipients {
  readonly to: string[];
  readonly cc: string[];
  readonly bcc: string[];
  readonly suppressed: SuppressedRecipient[];
  /** Every recipient was suppressed: the message is stored `suppressed` and never sent. */
  readonly allSuppressed: boolean;
}

interface Lookup {
  readonly clientIds: readonly string[];
  readonly addresses: readonly string[];
}

interface Entry {
  readonly client_id: string | null;
  readonly address: string;
  readonly reason: SuppressionReason;
}

/**
 * How long "this client has no suppressions" is believed before it is asked again. Writes made
 * in this process (an unsubscribe, the API) are seen at once; those of another process within
 * this long.
 */
const FLAG_TTL_MS = 1000;
/** Clients remembered at most; beyond, the memory starts over. */
const MAX_FLAGS = 10_000;
/** Concurrent single accepts share one address lookup. */
const LOOKUP_COALESCING = { maxInFlight: 2, maxBatch: 200 } as const;
/** The key of the entries that hold for every client (client_id null). */
const EVERY_CLIENT = '';

const isUnexpired = sql`(expires_at is null or expires_at > now())`;

/** Whether a reason stops mail of a category: unsubscribes stop marketing only, the rest everything. */
function stops(reason: SuppressionReason, category: Addressed['category']): boolean {
  return reason !== 'unsubscribed' || category === 'marketing';
}

/**
 * The accept-time suppression check (design/engagement.md). A client with no suppressions,
 * while no entry holds for every client, costs no query at all: whether a client has any is
 * remembered for a second, asked for all the batch's clients at once. Otherwise one lookup
 * serves the whole batch (and the single accepts arriving with it).
 */
export class SuppressionCheck {
  readonly #flags = new Map<string, { has: boolean; until: number }>();
  readonly #lookups: Coalescer<Lookup, readonly Entry[]>;

  constructor(
    private readonly db: Db,
    private readonly flagTtlMs = FLAG_TTL_MS,
  ) {
    this.#lookups = new Coalescer((lookups) => this.#lookupMany(lookups), LOOKUP_COALESCING);
  }

  /** The recipients of each message with the suppressed ones removed; one query at most per call, none for clients without suppressions. */
  async check(messages: readonly Addressed[]): Promise<CheckedRecipients[]> {
    const asked = messages.map((message) => ({ to: [...message.to], cc: [...(message.cc ?? [])], bcc: [...(message.bcc ?? [])] }));
    const unchanged = () => asked.map((lists) => ({ ...lists, suppressed: [], allSuppressed: false }));
    if (messages.length === 0) return [];
    const clientIds = [...new Set(messages.map((message) => message.client_id))];
    const flagged = await this.#clientsWithSuppressions(clientIds);
    if (flagged.size === 0) return unchanged();
    const relevant = messages.filter((message) => flagged.has(message.client_id) || flagged.has(EVERY_CLIENT));
    const addresses = [...new Set(relevant.flatMap((m) => [...m.to, ...(m.cc ?? []), ...(m.bcc ?? [])].map((a) => a.toLowerCase())))];
    const entries = await this.#lookups.submit({ clientIds: [...new Set(relevant.map((m) => m.client_id))], addresses });
    const byAddress = new Map<string, Entry[]>();
    for (const entry of entries) byAddress.set(entry.address, [...(byAddress.get(entry.address) ?? []), entry]);
    return messages.map((message, i) => filterRecipients(message, asked[i] ?? { to: [], cc: [], bcc: [] }, byAddress));
  }

  /** Someone was just suppressed for this client (null: for every client): believe it without asking. */
  noteSuppressed(clientId: string | null): void {
    this.#remember(clientId ?? EVERY_CLIENT, true);
  }

  /** The keys (client ids, and EVERY_CLIENT) that have unexpired suppressions, asking only for what is not remembered. */
  async #clientsWithSuppressions(clientIds: readonly string[]): Promise<Set<string>> {
    const now = Date.now();
    const keys = [...clientIds, EVERY_CLIENT];
    const stale = keys.filter((key) => (this.#flags.get(key)?.until ?? 0) <= now);
    if (stale.length > 0) {
      const result = await sql<{ key: string; has: boolean }>`
        select k.key, case when k.key = ${EVERY_CLIENT}
                           then exists (select 1 from suppressions where client_id is null and ${isUnexpired})
                           else exists (select 1 from suppressions where client_id = k.key and ${isUnexpired}) end as has
          from unnest(${stale}::text[]) as k(key)`.execute(this.db);
      for (const row of result.rows) this.#remember(row.key, row.has);
    }
    return new Set(keys.filter((key) => this.#flags.get(key)?.has === true));
  }

  #remember(key: string, has: boolean): void {
    if (this.#flags.size >= MAX_FLAGS && !this.#flags.has(key)) this.#flags.clear();
    this.#flags.set(key, { has, until: Date.now() + this.flagTtlMs });
  }

  async #lookupMany(lookups: readonly Lookup[]): Promise<(readonly Entry[])[]> {
    const clientIds = [...new Set(lookups.flatMap((l) => l.clientIds))];
    const addresses = [...new Set(lookups.flatMap((l) => l.addresses))];
    const result = await sql<Entry>`
      select client_id, address, reason from suppressions
       where address = any(${addresses}::text[]) and (client_id = any(${clientIds}::text[]) or client_id is null) and ${isUnexpired}`.execute(this.db);
    // Each caller filters by its own messages' clients and addresses.
    return lookups.map(() => result.rows);
  }
}

function filterRecipients(message: Addressed, asked: { to: string[]; cc: string[]; bcc: string[] }, byAddress: ReadonlyMap<string, readonly Entry[]>): CheckedRecipients {
  const reasonFor = (address: string): SuppressionReason | undefined => {
    const matching = (byAddress.get(address.toLowerCase()) ?? []).filter((e) => (e.client_id === null || e.client_id === message.client_id) && stops(e.reason, message.category));
    return matching[0]?.reason;
  };
  const suppressed: SuppressedRecipient[] = [];
  const keep = (list: readonly string[]) =>
    list.filter((address) => {
      const reason = reasonFor(address);
      if (reason === undefined) return true;
      suppressed.push({ address, reason });
      return false;
    });
  const lists = { to: keep(asked.to), cc: keep(asked.cc), bcc: keep(asked.bcc) };
  const allSuppressed = suppressed.length > 0 && lists.to.length + lists.cc.length + lists.bcc.length === 0;
  return { ...lists, suppressed, allSuppressed };
}

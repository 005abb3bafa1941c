import type { MessageKind } from '../domain/message-kinds';
import type { Redis } from '../platform/redis';
import { deliveryEventsKey } from '../platform/redis-keys';
import { type DeliveryEvent, deliveryEventSchema } from './delivery-events';

/** Narrows the tail; every field given must match. */
export interface DeliveryEventFilter {
  readonly kind?: MessageKind;
  /** The attempt's outcome (sent, transient, permanent) or the message's new status (retrying, failed). */
  readonly status?: string;
  /** Any provider that took part in the attempt. */
  readonly provider?: string;
  /** A message id, or the start of one. */
  readonly id?: string;
}

export interface StoredDeliveryEvent {
  /** The stream entry id; read after it to continue. */
  readonly streamId: string;
  readonly event: DeliveryEvent;
}

export function matchesFilter(event: DeliveryEvent, filter: DeliveryEventFilter): boolean {
  if (filter.kind !== undefined && event.kind !== filter.kind) return false;
  if (filter.status !== undefined && event.outcome !== filter.status && event.status !== filter.status) return false;
  if (filter.provider !== undefined && !event.tries.some((entry) => entry.provider === filter.provider)) return false;
  if (filter.id !== undefined && !event.messageId.startsWith(filter.id.toLowerCase())) return false;
  return true;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `90s`, `2h`, `1d` before `nowMs`, or an ISO 8601 time; undefined when it is neither. */
export function parseSince(text: string, nowMs: number): Date | undefined {
  const relative = DURATION.exec(text.trim());
  if (relative !== null) return new Date(nowMs - Number(relative[1]) * (UNIT_MS[relative[2] ?? 's'] ?? 1000));
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const absolute = new Date(text.trim());
  return Number.isNaN(absolute.getTime()) ? undefined : absolute;
}

type StreamEntry = [id: string, fields: string[]];

function decode(entries: readonly StreamEntry[]): StoredDeliveryEvent[] {
  const events: StoredDeliveryEvent[] = [];
  for (const [streamId, fields] of entries) {
    const at = fields.indexOf('event');
    const raw = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    if (raw === undefined) continue;
    // An entry we cannot read (another version's schema) is skipped rather than ending the tail.
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      continue;
    }
    const parsed = deliveryEventSchema.safeParse(json);
    if (parsed.success) events.push({ streamId, event: parsed.data });
  }
  return events;
}

export interface FollowOptions {
  /** Start from this moment; without it, only events appended from now on. */
  readonly since?: Date;
  readonly filter?: DeliveryEventFilter;
  /** Ends the iteration, interrupting a blocked read. */
  readonly signal?: AbortSignal;
  /** Longest single blocking read; the loop simply reads again. */
  readonly blockMs?: number;
  /** Called once the starting point is fixed: every event appended from then on will be seen. */
  readonly onFollowing?: (cursor: string) => void;
}

/** Reads the delivery event stream that every worker appends to (the engine of `herald tail`). */
export class DeliveryEventReader {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = deliveryEventsKey(prefix);
  }

  /** Redis's clock in ms: stream ids come from it, so relative `--since` values use it too. */
  async serverNow(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** A cursor just before `since`, or at the newest entry (so that only later events are read). */
  async cursorAt(since?: Date): Promise<string> {
    if (since !== undefined) {
      // XREAD returns entries after the cursor; the last possible id of the previous millisecond includes `since` itself.
      const ms = since.getTime();
      return ms <= 0 ? '0-0' : `${ms - 1}-18446744073709551615`;
    }
    const newest = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    return newest[0]?.[0] ?? '0-0';
  }

  /** One read after `cursor`, blocking up to `blockMs` when nothing is there yet (0: no blocking). */
  async read(cursor: string, options: { blockMs?: number; count?: number; connection?: Redis } = {}): Promise<{ cursor: string; events: StoredDeliveryEvent[] }> {
    const connection = options.connection ?? this.redis;
    const count = options.count ?? 500;
    const reply =
      options.blockMs !== undefined && options.blockMs > 0
        ? await connection.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', this.key, cursor)
        : await connection.xread('COUNT', count, 'STREAMS', this.key, cursor);
    const entries = reply?.[0]?.[1] ?? [];
    const last = entries[entries.length - 1];
    return { cursor: last?.[0] ?? cursor, events: decode(entries) };
  }

  /**
   * Yields matching events as workers append them, until the signal aborts. Blocking reads go
   * over a connection of their own, which the abort closes so that the iteration ends at once.
   */
  async *follow(options: FollowOptions = {}): AsyncGenerator<StoredDeliveryEvent> {
    const { signal, filter = {} } = options;
    let cursor = await this.cursorAt(options.since);
    options.onFollowing?.(cursor);
    const blocking = this.redis.duplicate();
    const interrupt = () => blocking.disconnect();
    const aborted = () => signal?.aborted === true;
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      while (!aborted()) {
        let batch: { cursor: string; events: StoredDeliveryEvent[] };
        try {
          batch = await this.read(cursor, { blockMs: options.blockMs ?? 5000, connection: blocking });
        } catch (error) {
          if (aborted()) return;
          throw error;
        }
        cursor = batch.cursor;
        for (const stored of batch.events) {
          if (matchesFilter(stored.event, filter)) yield stored;
        }
      }
    } finally {
      signal?.removeEventListener('abort', interrupt);
      blocking.disconnect();
    }
  }
}

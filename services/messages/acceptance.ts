import type { MessageKind } from '../domain/message-kinds';
import { type AcceptedMessage, acceptMessages, type MessageDraft } from '../lifecycle/accept';
import type { Db } from '../database';
import { Coalescer } from '../platform/coalescer';
import { withLogContext } from '../platform/log-context';
import type { Logger } from '../platform/logger';
import type { EnqueueRequest } from '../platform/queue';
import { enqueueRequestFor, type MessageEnqueuer } from './enqueuer';
import type { MessageRepository } from './repository';
import type { AcceptedResponse } from './views';

/** Told how many new messages of a kind were stored (replays and suppressed ones are not); the metrics count them. */
export type AcceptObserver = (kind: MessageKind, count: number) => void;

/** One message on its way into the record: the draft carries its client, key and request hash. */
export interface AcceptRequest {
  readonly draft: MessageDraft;
  readonly now: Date;
}

/** What became of one request: its row (new, or the replayed one) and the status to answer. */
export type Acceptance =
  | { readonly outcome: 'accepted'; readonly row: AcceptedMessage; readonly replayed: boolean; readonly status: AcceptedResponse['status'] }
  /** The key was used before with a different request. */
  | { readonly outcome: 'mismatch' }
  /** Postgres refused a value of this request (and only this one). */
  | { readonly outcome: 'unstorable' };

/**
 * Single accepts arriving together share one INSERT and one enqueue (group commit): a few
 * batches in flight keep Postgres busy without queueing behind one another.
 */
const ACCEPT_COALESCING = { maxInFlight: 4, maxBatch: 500 } as const;

// SQLSTATE classes of a value Postgres will not take (22: data exception, 54: program limit).
const DATA_ERROR_CLASSES = ['22', '54'];

function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DATA_ERROR_CLASSES.includes(code.slice(0, 2));
}

const slotOf = (clientId: string, key: string) => `${clientId}\n${key}`;

/**
 * The one idempotency path for every accept, single, batch or contact form: one multi-row
 * INSERT … ON CONFLICT DO NOTHING, then one bulk enqueue of the new rows. A key seen before
 * answers with its stored row (a replay), or 'mismatch' when that row was made from a different
 * request.
 */
export class MessageAcceptance {
  readonly #singles: Coalescer<AcceptRequest, Acceptance>;

  constructor(
    private readonly db: Db,
    private readonly repository: MessageRepository,
    private readonly enqueuer: MessageEnqueuer,
    private readonly logger: Logger,
    private readonly onAccepted: AcceptObserver = () => undefined,
    /** Told the webhook deliveries a suppressed message's event wrote, to enqueue them. */
    private readonly onWebhookDeliveries: (ids: readonly string[]) => void = () => undefined,
  ) {
    // A group serves many requests, so its log lines carry none of their ids.
    this.#singles = new Coalescer((requests) => withLogContext({}, () => this.acceptMany(requests)), ACCEPT_COALESCING);
  }

  /** Accepts one message, sharing the statement with the others arriving at the same time. */
  acceptOne(request: AcceptRequest): Promise<Acceptance> {
    return this.#singles.submit(request);
  }

  /**
   * Accepts many messages at once; the requests may come from different clients. Each gets
   * its own outcome, in order, whatever the others' are.
   */
  async acceptMany(requests: readonly AcceptRequest[]): Promise<Acceptance[]> {
    const firstBySlot = new Map<string, number>();
    const drafts: MessageDraft[] = [];
    requests.forEach(({ draft }, index) => {
      const slot = slotOf(draft.client_id, draft.idempotency_key);
      if (firstBySlot.has(slot)) return;
      firstBySlot.set(slot, index);
      drafts.push(draft);
    });
    const { inserted, unstorable } = await this.insert(drafts, requests[0]?.now ?? new Date());
    const bySlot = new Map(inserted.map((row) => [slotOf(row.client_id, row.idempotency_key), row]));
    const insertedSlots = new Set(bySlot.keys());
    await this.findReplays(requests, firstBySlot, bySlot, unstorable);

    const toEnqueue: EnqueueRequest[] = [];
    const matched = requests.map(({ draft, now }, index) => {
      const slot = slotOf(draft.client_id, draft.idempotency_key);
      if (unstorable.has(slot)) return 'unstorable' as const;
      const row = bySlot.get(slot);
      if (row === undefined) throw new Error('idempotency conflict without a stored row');
      if (row.request_hash !== draft.request_hash) return 'mismatch' as const;
      const isFirst = firstBySlot.get(slot) === index;
      const isNew = isFirst && insertedSlots.has(slot);
      // A replay of a row Redis never took (still pending) enqueues it now rather than waiting for the sweeper.
      const needsJob = isFirst && row.status !== 'suppressed' && (isNew || row.status === 'pending');
      if (needsJob) toEnqueue.push(enqueueRequestFor(row, now.getTime()));
      return { row, isNew, needsJob };
    });
    this.countAccepted(inserted);
    const enqueued = await this.enqueuer.enqueue(toEnqueue);
    return matched.map((match): Acceptance => {
      if (typeof match === 'string') return { outcome: match };
      const { row, isNew, needsJob } = match;
      return { outcome: 'accepted', row, replayed: !isNew, status: answerStatus(row, needsJob ? enqueued : undefined) };
    });
  }

  /**
   * Inserts the drafts in one statement. When Postgres refuses a value in it, each draft is
   * stored alone, so that one bad request fails by itself and the others are kept.
   */
  private async insert(drafts: readonly MessageDraft[], now: Date): Promise<{ inserted: AcceptedMessage[]; unstorable: Set<string> }> {
    const unstorable = new Set<string>();
    try {
      const { rows, webhookDeliveries } = await acceptMessages(this.db, drafts, now);
      this.onWebhookDeliveries(webhookDeliveries);
      return { inserted: rows, unstorable };
    } catch (error) {
      if (!isDataError(error)) throw error;
      // The driver's message and detail can echo the refused value: log the code only.
      this.logger.warn({ code: (error as { code: string }).code, count: drafts.length }, 'a value was refused; storing the messages one by one');
    }
    const inserted: AcceptedMessage[] = [];
    for (const draft of drafts) {
      try {
        const { rows, webhookDeliveries } = await acceptMessages(this.db, [draft], now);
        this.onWebhookDeliveries(webhookDeliveries);
        inserted.push(...rows);
      } catch (error) {
        if (!isDataError(error)) throw error;
        unstorable.add(slotOf(draft.client_id, draft.idempotency_key));
      }
    }
    return { inserted, unstorable };
  }

  /** Adds the stored rows of keys used before to `bySlot`. */
  private async findReplays(
    requests: readonly AcceptRequest[],
    firstBySlot: ReadonlyMap<string, number>,
    bySlot: Map<string, AcceptedMessage>,
    unstorable: ReadonlySet<string>,
  ): Promise<void> {
    const missing = new Map<string, string[]>();
    for (const [slot, index] of firstBySlot) {
      const draft = requests[index]?.draft;
      if (draft === undefined || bySlot.has(slot) || unstorable.has(slot)) continue;
      missing.set(draft.client_id, [...(missing.get(draft.client_id) ?? []), draft.idempotency_key]);
    }
    for (const [clientId, keys] of missing) {
      // ON CONFLICT waits for the conflicting insert to commit, so the row is visible here.
      for (const row of await this.repository.findByKeys(clientId, keys)) bySlot.set(slotOf(row.client_id, row.idempotency_key), row);
    }
  }

  private countAccepted(inserted: readonly AcceptedMessage[]): void {
    const counts = new Map<MessageKind, number>();
    for (const row of inserted) if (row.status !== 'suppressed') counts.set(row.kind, (counts.get(row.kind) ?? 0) + 1);
    for (const [kind, count] of counts) this.onAccepted(kind, count);
  }
}

/**
 * The status a 202 says: what the row says. `pending` when this request's enqueue failed (or
 * a replayed row is still pending); otherwise what the original answer said, so a replay
 * answers exactly as the first request did. A suppressed contact message answers `queued`: a bot
 * learns nothing; any other suppressed row answers `suppressed` (design/engagement.md).
 */
function answerStatus(row: AcceptedMessage, enqueued: boolean | undefined): AcceptedResponse['status'] {
  // A suppression is the client's own list; the contact form's honeypot stays silent.
  if (row.status === 'suppressed' && row.kind !== 'contact') return 'suppressed';
  if (enqueued === false || (enqueued === undefined && row.status === 'pending')) return 'pending';
  return row.send_at !== null && row.send_at.getTime() > row.created_at.getTime() ? 'scheduled' : 'queued';
}

import type { Principal } from '../auth/scopes';
import type { NewNotification, NotificationRow } from '../platform/database';
import { type FieldError, idempotencyMismatch, notFound } from '../platform/errors';
import type { EnqueueRequest } from '../platform/queue';
import { type AcceptObserver, ignoreAccepted } from '../messages/accept-observer';
import type { MessageEnqueuer } from '../messages/enqueuer';
import { requestHash } from '../messages/idempotency';
import { Coalescer } from '../platform/coalescer';
import { withLogContext } from '../platform/log-context';
import { listFilterFor, type ListQuery, type Page, toPage } from '../messages/pagination';
import { ACCEPTED_MESSAGE, iso, visibleClient } from '../messages/views';
import type { AcceptedNotification, NotificationRepository } from './repository';
import type { AcceptedResponse } from '../contact/schema';
import type { AttemptView, BatchItem, BatchResult, NotificationView, NotifyRequest } from './schema';

export interface NotificationDetail extends NotificationView {
  readonly attempts: readonly AttemptView[];
}

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    status: row.status,
    to: row.to,
    cc: row.cc,
    bcc: row.bcc,
    reply_to: row.reply_to,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    metadata: row.metadata,
    tags: row.tags,
    provider_hint: row.provider_hint,
    use_fallback: row.use_fallback,
    priority: row.priority,
    send_at: iso(row.send_at),
    retry_count: row.retry_count,
    error_message: row.error_message,
    provider: row.provider,
    provider_message_id: row.provider_message_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    sent_at: iso(row.sent_at),
  };
}

function isScheduled(sendAt: Date | null | undefined, now: Date): boolean {
  return sendAt !== null && sendAt !== undefined && sendAt.getTime() > now.getTime();
}

/** The accepted body is derived from the row alone, so a replay answers exactly as the original did. */
export function acceptedBody(row: AcceptedNotification): AcceptedResponse {
  return { id: row.id, status: isScheduled(row.send_at, row.created_at) ? 'scheduled' : 'queued', message: ACCEPTED_MESSAGE };
}

function enqueueRequestFor(row: AcceptedNotification, now: Date): EnqueueRequest {
  return {
    id: row.id,
    kind: 'notification',
    delayMs: row.send_at !== null ? row.send_at.getTime() - now.getTime() : undefined,
    priority: row.priority,
  };
}

/** One notification on its way into the table. */
interface PendingAccept {
  readonly clientId: string;
  readonly key: string;
  readonly hash: string;
  readonly row: NewNotification;
  readonly now: Date;
}

type StoredAccept = { readonly row: AcceptedNotification; readonly isNew: boolean } | 'mismatch';

/**
 * Single accepts arriving together share one INSERT and one enqueue (group commit): a few
 * batches in flight keep Postgres busy without queueing behind one another.
 */
const ACCEPT_COALESCING = { maxInFlight: 4, maxBatch: 500 } as const;

/** Accepts notifications from internal services, one or a thousand at a time, and reads them back. */
export class NotificationService {
  readonly #accepts: Coalescer<PendingAccept, StoredAccept>;

  constructor(
    private readonly repository: NotificationRepository,
    private readonly enqueuer: MessageEnqueuer,
    private readonly onAccepted: AcceptObserver = ignoreAccepted,
  ) {
    // A group serves many requests, so its log lines carry none of their ids.
    this.#accepts = new Coalescer((entries) => withLogContext({}, () => this.storeAndEnqueue(entries)), ACCEPT_COALESCING);
  }

  private newRow(clientId: string, key: string, hash: string, input: NotifyRequest, now: Date): NewNotification {
    return {
      client_id: clientId,
      idempotency_key: key,
      request_hash: hash,
      to: input.to,
      cc: input.cc,
      bcc: input.bcc,
      reply_to: input.reply_to ?? null,
      subject: input.subject,
      text_body: input.text ?? null,
      html_body: input.html ?? null,
      metadata: JSON.stringify(input.metadata),
      tags: input.tags,
      provider_hint: input.provider ?? null,
      use_fallback: input.use_fallback,
      priority: input.priority,
      send_at: input.send_at ?? null,
      status: isScheduled(input.send_at, now) ? 'scheduled' : 'queued',
      created_at: now,
      updated_at: now,
    };
  }

  async accept(principal: Principal, key: string, input: NotifyRequest): Promise<{ body: AcceptedResponse; replayed: boolean }> {
    const now = new Date();
    const hash = requestHash(input);
    const stored = await this.#accepts.submit({ clientId: principal.clientId, key, hash, row: this.newRow(principal.clientId, key, hash, input, now), now });
    if (stored === 'mismatch') throw idempotencyMismatch();
    return { body: acceptedBody(stored.row), replayed: !stored.isNew };
  }

  /**
   * Accepts a batch with one multi-row INSERT and one bulk enqueue. Items that
   * failed validation arrive as field errors and are reported in place.
   */
  async acceptBatch(principal: Principal, items: readonly (BatchItem | FieldError[])[]): Promise<BatchResult[]> {
    const now = new Date();
    const entries: PendingAccept[] = [];
    const indexes: number[] = [];
    const results: BatchResult[] = new Array<BatchResult>(items.length);
    items.forEach((item, index) => {
      if (Array.isArray(item)) {
        results[index] = { index, idempotency_key: null, status: 422, errors: item };
        return;
      }
      const { idempotency_key: key, ...input } = item;
      const hash = requestHash(input);
      entries.push({ clientId: principal.clientId, key, hash, row: this.newRow(principal.clientId, key, hash, input, now), now });
      indexes.push(index);
    });
    const stored = await this.storeAndEnqueue(entries);
    stored.forEach((outcome, i) => {
      const index = indexes[i] ?? 0;
      const key = entries[i]?.key ?? null;
      if (outcome === 'mismatch') {
        results[index] = { index, idempotency_key: key, status: 422, errors: [{ field: 'idempotency_key', message: idempotencyMismatch().detail }] };
        return;
      }
      results[index] = { index, idempotency_key: key, status: 202, id: outcome.row.id, replayed: !outcome.isNew };
    });
    return results;
  }

  /**
   * Stores accepted notifications with one multi-row INSERT … ON CONFLICT DO NOTHING and
   * enqueues the new ones with one bulk add. A key seen before answers with its stored row
   * (a replay), or 'mismatch' when that row was made from a different request. Entries may
   * come from different clients: single accepts arriving together are stored together.
   */
  private async storeAndEnqueue(entries: readonly PendingAccept[]): Promise<StoredAccept[]> {
    const slot = (clientId: string, key: string) => `${clientId}\n${key}`;
    const firstBySlot = new Map<string, number>();
    const rows: NewNotification[] = [];
    entries.forEach((entry, index) => {
      const at = slot(entry.clientId, entry.key);
      if (firstBySlot.has(at)) return;
      firstBySlot.set(at, index);
      rows.push(entry.row);
    });
    const inserted = await this.repository.insertMany(rows);
    const bySlot = new Map(inserted.map((row) => [slot(row.client_id, row.idempotency_key), row]));
    const insertedSlots = new Set(bySlot.keys());
    const missing = new Map<string, string[]>();
    for (const [at, index] of firstBySlot) {
      const entry = entries[index];
      if (entry === undefined || insertedSlots.has(at)) continue;
      const keys = missing.get(entry.clientId) ?? [];
      keys.push(entry.key);
      missing.set(entry.clientId, keys);
    }
    for (const [clientId, keys] of missing) {
      // ON CONFLICT waits for the conflicting insert to commit, so the row is visible here.
      for (const row of await this.repository.findByKeys(clientId, keys)) bySlot.set(slot(row.client_id, row.idempotency_key), row);
    }

    const toEnqueue: EnqueueRequest[] = [];
    const outcomes = entries.map((entry, index): StoredAccept => {
      const at = slot(entry.clientId, entry.key);
      const row = bySlot.get(at);
      if (row === undefined) throw new Error('idempotency conflict without a stored row');
      if (row.request_hash !== entry.hash) return 'mismatch';
      const isFirst = firstBySlot.get(at) === index;
      const isNew = isFirst && insertedSlots.has(at);
      // A replay of a row Redis never took (still pending) enqueues it now rather than waiting for the sweeper.
      if (isNew || (isFirst && row.status === 'pending')) toEnqueue.push(enqueueRequestFor(row, entry.now));
      return { row, isNew };
    });
    this.onAccepted('notification', inserted.length);
    await this.enqueuer.enqueue(toEnqueue);
    return outcomes;
  }

  async get(principal: Principal, id: string): Promise<NotificationDetail> {
    const row = await this.repository.findById(id, visibleClient(principal));
    if (row === undefined) throw notFound('No notification with this id.');
    const attempts = await this.repository.attempts(id);
    return {
      ...toNotificationView(row),
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        provider: a.provider,
        outcome: a.outcome,
        error: a.error,
        duration_ms: a.duration_ms,
        at: iso(a.at),
      })),
    };
  }

  async list(principal: Principal, path: string, query: ListQuery): Promise<Page<NotificationView>> {
    const { count, rows } = await this.repository.list(listFilterFor(principal, query));
    return toPage(path, query, count, rows.map(toNotificationView));
  }
}

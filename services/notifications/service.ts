import type { Principal } from '../auth/scopes';
import type { NewNotification, NotificationRow } from '../platform/database';
import { type FieldError, idempotencyMismatch, notFound } from '../platform/errors';
import type { EnqueueRequest } from '../platform/queue';
import { type AcceptObserver, ignoreAccepted } from '../messages/accept-observer';
import type { MessageEnqueuer } from '../messages/enqueuer';
import { acceptOnce, requestHash } from '../messages/idempotency';
import { type ListQuery, type Page, toPage } from '../messages/pagination';
import { ACCEPTED_MESSAGE, iso, visibleClient } from '../messages/views';
import type { NotificationRepository } from './repository';
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
export function acceptedBody(row: NotificationRow): AcceptedResponse {
  return { id: row.id, status: isScheduled(row.send_at, row.created_at) ? 'scheduled' : 'queued', message: ACCEPTED_MESSAGE };
}

function enqueueRequestFor(row: NotificationRow, now: Date): EnqueueRequest {
  return {
    id: row.id,
    kind: 'notification',
    delayMs: row.send_at !== null ? row.send_at.getTime() - now.getTime() : undefined,
    priority: row.priority,
  };
}

/** Accepts notifications from internal services, one or a thousand at a time, and reads them back. */
export class NotificationService {
  constructor(
    private readonly repository: NotificationRepository,
    private readonly enqueuer: MessageEnqueuer,
    private readonly onAccepted: AcceptObserver = ignoreAccepted,
  ) {}

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
    const { row, replayed } = await acceptOnce(
      hash,
      async () => (await this.repository.insertMany([this.newRow(principal.clientId, key, hash, input, now)]))[0],
      async () => (await this.repository.findByKeys(principal.clientId, [key]))[0],
    );
    if (!replayed || row.status === 'pending') await this.enqueuer.enqueue([enqueueRequestFor(row, now)]);
    if (!replayed) this.onAccepted('notification', 1);
    return { body: acceptedBody(row), replayed };
  }

  /**
   * Accepts a batch with one multi-row INSERT and one bulk enqueue. Items that
   * failed validation arrive as field errors and are reported in place.
   */
  async acceptBatch(principal: Principal, items: readonly (BatchItem | FieldError[])[]): Promise<BatchResult[]> {
    const now = new Date();
    const results: BatchResult[] = new Array<BatchResult>(items.length);
    const firstIndexByKey = new Map<string, number>();
    const hashes: string[] = [];
    const rows: NewNotification[] = [];
    items.forEach((item, index) => {
      if (Array.isArray(item)) {
        results[index] = { index, idempotency_key: null, status: 422, errors: item };
        return;
      }
      const { idempotency_key: key, ...input } = item;
      const hash = requestHash(input);
      hashes[index] = hash;
      if (firstIndexByKey.has(key)) return;
      firstIndexByKey.set(key, index);
      rows.push(this.newRow(principal.clientId, key, hash, input, now));
    });
    const inserted = await this.repository.insertMany(rows);
    const byKey = new Map(inserted.map((row) => [row.idempotency_key, row]));
    const insertedKeys = new Set(byKey.keys());
    const missing = [...firstIndexByKey.keys()].filter((key) => !insertedKeys.has(key));
    for (const row of await this.repository.findByKeys(principal.clientId, missing)) byKey.set(row.idempotency_key, row);

    const toEnqueue: EnqueueRequest[] = [];
    items.forEach((item, index) => {
      if (Array.isArray(item)) return;
      const key = item.idempotency_key;
      const row = byKey.get(key);
      if (row === undefined) throw new Error(`batch item ${index} has no stored row`);
      if (row.request_hash !== hashes[index]) {
        const problem = idempotencyMismatch();
        results[index] = { index, idempotency_key: key, status: 422, errors: [{ field: 'idempotency_key', message: problem.detail }] };
        return;
      }
      const isNew = insertedKeys.has(key) && firstIndexByKey.get(key) === index;
      if (isNew || (firstIndexByKey.get(key) === index && row.status === 'pending')) toEnqueue.push(enqueueRequestFor(row, now));
      results[index] = { index, idempotency_key: key, status: 202, id: row.id, replayed: !isNew };
    });
    this.onAccepted('notification', inserted.length);
    await this.enqueuer.enqueue(toEnqueue);
    return results;
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
    const { count, rows } = await this.repository.list({
      clientId: visibleClient(principal),
      status: query.status,
      limit: query.page_size,
      offset: (query.page - 1) * query.page_size,
    });
    return toPage(path, query, count, rows.map(toNotificationView));
  }
}

import type { Principal } from '../auth/scopes';
import type { ContactMessageRow } from '../platform/database';
import { notFound } from '../platform/errors';
import { type AcceptObserver, ignoreAccepted } from '../messages/accept-observer';
import type { MessageEnqueuer } from '../messages/enqueuer';
import { acceptOnce, requestHash } from '../messages/idempotency';
import { listFilterFor, type ListQuery, type Page, toPage } from '../messages/pagination';
import { iso, visibleClient } from '../messages/views';
import type { ContactRepository } from './repository';
import type { AcceptedResponse, ContactRequest, ContactView } from './schema';

export const CONTACT_CLIENT_ID = 'public';
const THANKS = 'Thank you. Your message was received and will be delivered shortly.';

export interface ContactMeta {
  readonly idempotencyKey: string;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

export interface AcceptResult {
  readonly body: AcceptedResponse;
  readonly replayed: boolean;
}

export function toContactView(row: ContactMessageRow): ContactView {
  return {
    id: row.id,
    status: row.status,
    name: row.name,
    email: row.email,
    message: row.message,
    retry_count: row.retry_count,
    error_message: row.error_message,
    provider: row.provider,
    provider_message_id: row.provider_message_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    sent_at: iso(row.sent_at),
  };
}

/** Accepts public contact messages and reads them back for operators. */
export class ContactService {
  constructor(
    private readonly repository: ContactRepository,
    private readonly enqueuer: MessageEnqueuer,
    private readonly onAccepted: AcceptObserver = ignoreAccepted,
  ) {}

  async accept(input: ContactRequest, meta: ContactMeta): Promise<AcceptResult> {
    const hash = requestHash(input);
    // A bot gets the same answer as a person, so it learns nothing; its row is kept, never sent.
    const isSpam = input.website;
    const { row, replayed } = await acceptOnce(
      hash,
      () =>
        this.repository.insertOnce({
          client_id: CONTACT_CLIENT_ID,
          idempotency_key: meta.idempotencyKey,
          request_hash: hash,
          name: input.name,
          email: input.email,
          message: input.message,
          source_ip: meta.sourceIp,
          user_agent: meta.userAgent?.slice(0, 512) ?? null,
          status: isSpam ? 'suppressed' : 'queued',
          suppression_reason: isSpam ? 'honeypot' : null,
        }),
      () => this.repository.findByKey(CONTACT_CLIENT_ID, meta.idempotencyKey),
    );
    // A replay of a row the queue never took gets another chance; the job id makes this safe.
    const needsJob = row.status !== 'suppressed' && (!replayed || row.status === 'pending');
    if (needsJob) await this.enqueuer.enqueue([{ id: row.id, kind: 'contact' }]);
    // Suppressed rows (the honeypot) are stored but never sent, so they are not counted as accepted.
    if (!replayed && row.status !== 'suppressed') this.onAccepted('contact', 1);
    return { body: { id: row.id, status: 'queued', message: THANKS }, replayed };
  }

  async get(principal: Principal, id: string): Promise<ContactView> {
    const row = await this.repository.findById(id, visibleClient(principal));
    if (row === undefined) throw notFound('No contact message with this id.');
    return toContactView(row);
  }

  async list(principal: Principal, path: string, query: ListQuery): Promise<Page<ContactView>> {
    const { count, rows } = await this.repository.list(listFilterFor(principal, query));
    return toPage(path, query, count, rows.map(toContactView));
  }
}

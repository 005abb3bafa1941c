import type { Principal } from '../auth/scopes';
import { IdempotencyKeyReusedError, UnstorableValueError } from '../domain/errors';
import type { MessageAcceptance } from '../messages/acceptance';
import { requestHash } from '../messages/idempotency';
import type { MessageReader } from '../messages/message-reader';
import type { ListQuery, Page } from '../messages/pagination';
import type { AcceptedResponse, ContactView, EventView, MessageDetail } from '../messages/views';
import type { Config } from '../platform/config';
import type { ContactRequest } from './schema';

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

/** Accepts public contact messages, stored composed for the inbox, and reads them back for operators. */
export class ContactService {
  constructor(
    private readonly acceptance: MessageAcceptance,
    private readonly reader: MessageReader<ContactView>,
    private readonly config: Pick<Config, 'contactInbox'>,
  ) {}

  async accept(input: ContactRequest, meta: ContactMeta): Promise<AcceptResult> {
    const hash = requestHash(input);
    const accepted = await this.acceptance.acceptOne({
      now: new Date(),
      draft: {
        kind: 'contact',
        client_id: CONTACT_CLIENT_ID,
        idempotency_key: meta.idempotencyKey,
        request_hash: hash,
        to: [this.config.contactInbox],
        reply_to: input.email,
        subject: `New contact message from ${input.name}`,
        text_body: input.message,
        metadata: '{}',
        contact_name: input.name,
        contact_email: input.email,
        source_ip: meta.sourceIp,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
        // A bot gets the same answer as a person, so it learns nothing; its row is kept, never sent.
        ...(input.website ? { suppressionReason: 'honeypot' } : {}),
      },
    });
    if (accepted.outcome === 'mismatch') throw new IdempotencyKeyReusedError();
    if (accepted.outcome === 'unstorable') throw new UnstorableValueError();
    return { body: { id: accepted.row.id, status: accepted.status, message: THANKS }, replayed: accepted.replayed };
  }

  get(principal: Principal, id: string): Promise<MessageDetail<ContactView>> {
    return this.reader.get(principal, id);
  }

  events(principal: Principal, id: string): Promise<{ results: EventView[] }> {
    return this.reader.events(principal, id);
  }

  list(principal: Principal, path: string, query: ListQuery): Promise<Page<ContactView>> {
    return this.reader.list(principal, path, query);
  }
}

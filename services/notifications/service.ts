import type { Principal } from '../auth/scopes';
import { totalBytes, hashedForm } from '../attachments/schema';
import { IdempotencyKeyReusedError, InvalidFieldsError, RecipientUndeliverableError, SenderNotAllowedError, UnstorableValueError } from '../domain/errors';
import type { Config } from '../platform/config';
import type { MessageDraft } from '../lifecycle/accept';
import type { Acceptance, AcceptRequest, MessageAcceptance } from '../messages/acceptance';
import { requestHash } from '../messages/idempotency';
import type { MessageReader } from '../messages/message-reader';
import type { ListQuery, Page } from '../messages/pagination';
import { ACCEPTED_MESSAGE, type AcceptedResponse, type EventView, type MessageDetail, type NotificationView } from '../messages/views';
import type { FieldError } from '../platform/errors';
import type { BatchItem, BatchResult, NotifyRequest } from './schema';
import { assertMaySend, type SenderConfig, senderOf } from './sender';

export type NotificationConfig = SenderConfig & Pick<Config, 'attachmentsMaxBytes'>;

function draftOf(principal: Principal, key: string, input: NotifyRequest, config: NotificationConfig): MessageDraft {
  const { attachments } = input;
  if (attachments !== undefined && totalBytes(attachments) > config.attachmentsMaxBytes) {
    throw new InvalidFieldsError([{ field: 'attachments', message: `at most ${config.attachmentsMaxBytes} bytes decoded, all files together (ATTACHMENTS_MAX_BYTES)` }]);
  }
  return {
    kind: 'notification',
    client_id: principal.clientId,
    idempotency_key: key,
    // The files count by their digests: a replay with a changed file is a different request.
    request_hash: requestHash(attachments === undefined ? input : { ...input, attachments: attachments.map(hashedForm) }),
    ...(attachments === undefined || attachments.length === 0 ? {} : { attachments }),
    to: input.to,
    cc: input.cc,
    bcc: input.bcc,
    ...senderOf(principal, input, config),
    subject: input.subject,
    text_body: input.text ?? null,
    html_body: input.html ?? null,
    metadata: JSON.stringify(input.metadata),
    tags: input.tags,
    provider_hint: input.provider ?? null,
    use_fallback: input.use_fallback,
    priority: input.priority,
    send_at: input.send_at ?? null,
  };
}

/** Accepts notifications from internal services, one or a thousand at a time, and reads them back. */
export class NotificationService {
  constructor(
    private readonly acceptance: MessageAcceptance,
    private readonly reader: MessageReader<NotificationView>,
    private readonly config: NotificationConfig,
    /** VALIDATION_POLICY accept: finds undeliverable recipients; absent, accept asks nothing. */
    private readonly recipientCheck?: RecipientCheck,
  ) {}

  async accept(principal: Principal, key: string, input: NotifyRequest): Promise<{ body: AcceptedResponse; replayed: boolean }> {
    assertMaySend(principal, this.config);
    if (this.recipientCheck !== undefined) {
      const refused = await undeliverableFields(this.recipientCheck, input);
      if (refused.length > 0) throw new RecipientUndeliverableError(refused);
    }
    const accepted = await this.acceptance.acceptOne({ draft: draftOf(principal, key, input, this.config), now: new Date() });
    if (accepted.outcome === 'mismatch') throw new IdempotencyKeyReusedError();
    if (accepted.outcome === 'unstorable') throw new UnstorableValueError();
    return { body: { id: accepted.row.id, status: accepted.status, message: ACCEPTED_MESSAGE }, replayed: accepted.replayed };
  }

  /**
   * Accepts a batch with one multi-row INSERT and one bulk enqueue. Items that failed
   * validation arrive as field errors and are reported in place.
   */
  async acceptBatch(principal: Principal, items: readonly (BatchItem | FieldError[])[]): Promise<BatchResult[]> {
    assertMaySend(principal, this.config);
    const now = new Date();
    const requests: AcceptRequest[] = [];
    const indexes: number[] = [];
    const results: BatchResult[] = new Array<BatchResult>(items.length);
    items.forEach((item, index) => {
      if (Array.isArray(item)) {
        results[index] = { index, idempotency_key: null, status: 422, errors: item };
        return;
      }
      const { idempotency_key: key, ...input } = item;
      let draft: MessageDraft;
      try {
        draft = draftOf(principal, key, input, this.config);
      } catch (error) {
        if (error instanceof SenderNotAllowedError) {
          results[index] = { index, idempotency_key: key, status: 403, errors: [{ field: 'from', message: error.message }] };
          return;
        }
        if (!(error instanceof InvalidFieldsError)) throw error;
        results[index] = { index, idempotency_key: key, status: 422, errors: error.errors.map((e) => ({ field: `items.${index}.${e.field}`, message: e.message })) };
        return;
      }
      requests.push({ draft, now });
      indexes.push(index);
    });
    if (this.recipientCheck !== undefined) {
      const check = this.recipientCheck;
      const refusals = await Promise.all(requests.map((request) => undeliverableFields(check, request.draft)));
      for (let i = refusals.length - 1; i >= 0; i -= 1) {
        const refused = refusals[i] ?? [];
        if (refused.length === 0) continue;
        const index = indexes[i] ?? 0;
        results[index] = { index, idempotency_key: requests[i]?.draft.idempotency_key ?? null, status: 422, errors: refused.map((r) => ({ field: r.field, message: `undeliverable: ${r.reason}` })) };
        requests.splice(i, 1);
        indexes.splice(i, 1);
      }
    }
    const outcomes = await this.acceptance.acceptMany(requests);
    outcomes.forEach((outcome, i) => {
      const index = indexes[i] ?? 0;
      results[index] = batchResult(index, requests[i]?.draft.idempotency_key ?? null, outcome);
    });
    return results;
  }

  get(principal: Principal, id: string): Promise<MessageDetail<NotificationView>> {
    return this.reader.get(principal, id);
  }

  attachment(principal: Principal, id: string, position: number) {
    return this.reader.attachment(principal, id, position);
  }

  events(principal: Principal, id: string): Promise<{ results: EventView[] }> {
    return this.reader.events(principal, id);
  }

  list(principal: Principal, path: string, query: ListQuery): Promise<Page<NotificationView>> {
    return this.reader.list(principal, path, query);
  }
}

/** Finds recipients that cannot receive mail, by address; within a time budget of its own. */
export type RecipientCheck = (recipients: readonly string[]) => Promise<Readonly<Record<string, string>>>;

async function undeliverableFields(check: RecipientCheck, input: { to: readonly string[]; cc?: readonly string[]; bcc?: readonly string[] }) {
  const lists = { to: input.to, cc: input.cc ?? [], bcc: input.bcc ?? [] };
  const found = await check([...lists.to, ...lists.cc, ...lists.bcc]);
  const fields: { field: string; reason: string }[] = [];
  for (const name of ['to', 'cc', 'bcc'] as const) {
    lists[name].forEach((recipient, i) => {
      const reason = found[recipient];
      if (reason !== undefined) fields.push({ field: `${name}.${i}`, reason });
    });
  }
  return fields;
}

function batchResult(index: number, key: string | null, outcome: Acceptance): BatchResult {
  switch (outcome.outcome) {
    case 'accepted':
      return { index, idempotency_key: key, status: 202, id: outcome.row.id, replayed: outcome.replayed };
    case 'mismatch':
      return { index, idempotency_key: key, status: 422, errors: [{ field: 'idempotency_key', message: new IdempotencyKeyReusedError().message }] };
    case 'unstorable':
      return { index, idempotency_key: key, status: 422, errors: [{ field: '(item)', message: new UnstorableValueError().message }] };
  }
}

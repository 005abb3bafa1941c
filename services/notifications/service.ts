import type { Principal } from '../auth/scopes';
import { IdempotencyKeyReusedError, MissingVariablesError, NotFoundError, TemplateRenderError, UnstorableValueError } from '../domain/errors';
import type { MessageDraft } from '../lifecycle/accept';
import type { Acceptance, AcceptRequest, MessageAcceptance } from '../messages/acceptance';
import { requestHash } from '../messages/idempotency';
import type { MessageReader } from '../messages/message-reader';
import type { ListQuery, Page } from '../messages/pagination';
import { ACCEPTED_MESSAGE, type AcceptedResponse, type EventView, type MessageDetail, type NotificationView } from '../messages/views';
import type { FieldError } from '../platform/errors';
import type { BatchItem, BatchResult, NotifyRequest } from './schema';
import type { Composed, TemplatedComposer } from './templated-composer';

/** What a request without a template says directly; a templated one is composed first. */
function plainContent(input: NotifyRequest): Composed {
  return { to: input.to ?? [], subject: input.subject ?? '', text: input.text ?? null, html: input.html ?? null };
}

const needsComposing = (input: NotifyRequest) => input.template !== undefined || input.contact_id !== undefined;

function draftOf(clientId: string, key: string, input: NotifyRequest, content: Composed): MessageDraft {
  return {
    kind: 'notification',
    client_id: clientId,
    idempotency_key: key,
    request_hash: requestHash(input),
    to: content.to,
    cc: input.cc,
    bcc: input.bcc,
    reply_to: input.reply_to ?? null,
    subject: content.subject,
    text_body: content.text,
    html_body: content.html,
    ...(content.template === undefined ? {} : { template_id: content.template.id, template_version: content.template.version }),
    ...(content.contactId === undefined ? {} : { contact_id: content.contactId }),
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
    private readonly composer: TemplatedComposer,
  ) {}

  /** The request's content: as given, or rendered from its template (only then is anything looked up). */
  private async contentOf(principal: Principal, input: NotifyRequest, templates?: Map<string, Promise<unknown>>): Promise<Composed> {
    return needsComposing(input) ? this.composer.compose(principal.clientId, input, templates) : plainContent(input);
  }

  async accept(principal: Principal, key: string, input: NotifyRequest): Promise<{ body: AcceptedResponse; replayed: boolean }> {
    const content = await this.contentOf(principal, input);
    const accepted = await this.acceptance.acceptOne({ draft: draftOf(principal.clientId, key, input, content), now: new Date() });
    if (accepted.outcome === 'mismatch') throw new IdempotencyKeyReusedError();
    if (accepted.outcome === 'unstorable') throw new UnstorableValueError();
    return { body: { id: accepted.row.id, status: accepted.status, message: ACCEPTED_MESSAGE }, replayed: accepted.replayed };
  }

  /**
   * Accepts a batch with one multi-row INSERT and one bulk enqueue. Items that failed
   * validation arrive as field errors and are reported in place.
   */
  async acceptBatch(principal: Principal, items: readonly (BatchItem | FieldError[])[]): Promise<BatchResult[]> {
    const now = new Date();
    const requests: AcceptRequest[] = [];
    const indexes: number[] = [];
    const results: BatchResult[] = new Array<BatchResult>(items.length);
    // Items naming the same template share its lookup.
    const templates = new Map<string, Promise<unknown>>();
    for (const [index, item] of items.entries()) {
      if (Array.isArray(item)) {
        results[index] = { index, idempotency_key: null, status: 422, errors: item };
        continue;
      }
      const { idempotency_key: key, ...input } = item;
      let content: Composed;
      try {
        content = await this.contentOf(principal, input, templates);
      } catch (error) {
        results[index] = { index, idempotency_key: key, ...compositionFailure(error) };
        continue;
      }
      requests.push({ draft: draftOf(principal.clientId, key, input, content), now });
      indexes.push(index);
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

  events(principal: Principal, id: string): Promise<{ results: EventView[] }> {
    return this.reader.events(principal, id);
  }

  list(principal: Principal, path: string, query: ListQuery): Promise<Page<NotificationView>> {
    return this.reader.list(principal, path, query);
  }
}

/** A batch item whose template could not be rendered, reported in place like a validation error. */
function compositionFailure(error: unknown): Pick<BatchResult, 'status' | 'errors'> {
  if (error instanceof MissingVariablesError) {
    return { status: 422, errors: error.variables.map((name) => ({ field: `variables.${name}`, message: 'is used by the template but was not given' })) };
  }
  if (error instanceof TemplateRenderError) return { status: 422, errors: [{ field: 'variables', message: error.message }] };
  if (error instanceof NotFoundError) return { status: 404, errors: [{ field: error.message.includes('contact') ? 'contact_id' : 'template', message: error.message }] };
  throw error;
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

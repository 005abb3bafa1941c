import type { Principal } from '../auth/scopes';
import { totalBytes, hashedForm } from '../attachments/schema';
import {
  IdempotencyKeyReusedError,
  InvalidFieldsError,
  MissingVariablesError,
  NotFoundError,
  RecipientUndeliverableError,
  SenderNotAllowedError,
  TemplateRenderError,
  UnstorableValueError,
} from '../domain/errors';
import type { MessageDraft } from '../lifecycle/accept';
import type { Acceptance, AcceptRequest, MessageAcceptance } from '../messages/acceptance';
import { requestHash } from '../messages/idempotency';
import type { MessageReader } from '../messages/message-reader';
import type { ListQuery, Page } from '../messages/pagination';
import { ACCEPTED_MESSAGE, type AcceptedResponse, type EventView, type MessageDetail, type NotificationView } from '../messages/views';
import type { Config } from '../platform/config';
import type { FieldError } from '../platform/errors';
import type { CheckedRecipients, SuppressionCheck } from '../suppressions/suppression-check';
import type { BatchItem, BatchResult, NotifyRequest } from './schema';
import { assertMaySend, type SenderConfig, type SenderDirectory, type SenderIdentity, senderOf } from './sender';
import type { Composed, TemplatedComposer } from './templated-composer';

export type NotificationConfig = SenderConfig & Pick<Config, 'attachmentsMaxBytes' | 'engagement'>;

/** The message's category and tracking, refused when the links they need have no PUBLIC_URL to point at. */
function engagementOf(input: NotifyRequest, config: NotificationConfig): Pick<MessageDraft, 'category' | 'track_opens' | 'track_clicks'> {
  const trackOpens = input.track?.opens ?? config.engagement.trackOpens;
  const trackClicks = input.track?.clicks ?? config.engagement.trackClicks;
  if (config.engagement.publicUrl === undefined) {
    const errors: FieldError[] = [];
    if (trackOpens || trackClicks) errors.push({ field: 'track', message: 'tracking needs PUBLIC_URL to be set: its links point at it' });
    if (input.category === 'marketing') errors.push({ field: 'category', message: 'marketing mail needs PUBLIC_URL to be set: its unsubscribe link points at it' });
    if (errors.length > 0) throw new InvalidFieldsError(errors);
  }
  return { category: input.category, track_opens: trackOpens, track_clicks: trackClicks };
}

/** What a request without a template says directly; a templated one is composed first. */
function plainContent(input: NotifyRequest): Composed {
  return { to: input.to ?? [], subject: input.subject ?? '', text: input.text ?? null, html: input.html ?? null };
}

const needsComposing = (input: NotifyRequest) => input.template !== undefined || input.contact_id !== undefined;

function draftOf(principal: Principal, key: string, input: NotifyRequest, content: Composed, config: NotificationConfig, identities?: readonly SenderIdentity[]): MessageDraft {
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
    to: content.to,
    cc: input.cc,
    bcc: input.bcc,
    ...senderOf(principal, input, config, identities),
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
    ...engagementOf(input, config),
  };
}

/** The draft with its suppressed recipients taken off, or stored `suppressed` when none is left. */
function withoutSuppressed(draft: MessageDraft, checked: CheckedRecipients): MessageDraft {
  if (checked.suppressed.length === 0) return draft;
  // A fully suppressed message keeps who it was for; the row says why it was never sent.
  if (checked.allSuppressed) return { ...draft, suppressionReason: checked.suppressed[0]?.reason ?? 'manual' };
  return { ...draft, to: checked.to, cc: checked.cc, bcc: checked.bcc };
}

/** The suppression part of an answer: the reason when nothing is sent, the recipients taken off. */
function suppressionAnswer(checked: CheckedRecipients | undefined, row: { status: string; suppression_reason: string | null }) {
  return {
    ...(row.status === 'suppressed' && row.suppression_reason !== null ? { suppression_reason: row.suppression_reason } : {}),
    ...(checked !== undefined && checked.suppressed.length > 0 ? { suppressed_recipients: checked.suppressed } : {}),
  };
}

/** Accepts notifications from internal services, one or a thousand at a time, and reads them back. */
export class NotificationService {
  constructor(
    private readonly acceptance: MessageAcceptance,
    private readonly reader: MessageReader<NotificationView>,
    private readonly composer: TemplatedComposer,
    private readonly config: NotificationConfig,
    /** VALIDATION_POLICY accept: finds undeliverable recipients; absent, accept asks nothing. */
    private readonly recipientCheck?: RecipientCheck,
    /** A user's sender identities; read only for users' sends. */
    private readonly senders?: SenderDirectory,
    /** Takes suppressed recipients off messages before they are stored; absent, nothing is suppressed. */
    private readonly suppressionCheck?: SuppressionCheck,
  ) {}

  /** The identities a user's From may name: one query for a user, none for any other client. */
  private identitiesOf(principal: Principal): Promise<readonly SenderIdentity[]> | undefined {
    return principal.user === undefined || this.senders === undefined ? undefined : this.senders(principal.user.id);
  }

  /** Each draft's recipients after the suppression check: one query for them all, none for clients without suppressions. */
  private async suppress(drafts: readonly MessageDraft[]): Promise<(CheckedRecipients | undefined)[]> {
    if (this.suppressionCheck === undefined) return drafts.map(() => undefined);
    return this.suppressionCheck.check(drafts);
  }

  /** The request's content: as given, or rendered from its template (only then is anything looked up). */
  private async contentOf(principal: Principal, input: NotifyRequest, templates?: Map<string, Promise<unknown>>): Promise<Composed> {
    return needsComposing(input) ? this.composer.compose(principal.clientId, input, templates) : plainContent(input);
  }

  async accept(principal: Principal, key: string, input: NotifyRequest): Promise<{ body: AcceptedResponse; replayed: boolean }> {
    assertMaySend(principal, this.config);
    const lookup = this.identitiesOf(principal);
    const identities = lookup === undefined ? undefined : await lookup;
    const draft = draftOf(principal, key, input, await this.contentOf(principal, input), this.config, identities);
    if (this.recipientCheck !== undefined) {
      const refused = await undeliverableFields(this.recipientCheck, draft);
      if (refused.length > 0) throw new RecipientUndeliverableError(refused);
    }
    const [checked] = await this.suppress([draft]);
    const accepted = await this.acceptance.acceptOne({ draft: checked === undefined ? draft : withoutSuppressed(draft, checked), now: new Date() });
    if (accepted.outcome === 'mismatch') throw new IdempotencyKeyReusedError();
    if (accepted.outcome === 'unstorable') throw new UnstorableValueError();
    const body: AcceptedResponse = { id: accepted.row.id, status: accepted.status, message: ACCEPTED_MESSAGE, ...suppressionAnswer(checked, accepted.row) };
    return { body, replayed: accepted.replayed };
  }

  /**
   * Accepts a batch with one multi-row INSERT and one bulk enqueue. Items that failed
   * validation, composition or a policy arrive or end as per-item results in place.
   */
  async acceptBatch(principal: Principal, items: readonly (BatchItem | FieldError[])[]): Promise<BatchResult[]> {
    assertMaySend(principal, this.config);
    const lookup = this.identitiesOf(principal);
    const identities = lookup === undefined ? undefined : await lookup;
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
      try {
        requests.push({ draft: draftOf(principal, key, input, await this.contentOf(principal, input, templates), this.config, identities), now });
        indexes.push(index);
      } catch (error) {
        results[index] = { index, idempotency_key: key, ...itemFailure(error, index) };
      }
    }
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
    const checks = await this.suppress(requests.map((request) => request.draft));
    const outcomes = await this.acceptance.acceptMany(
      requests.map((request, i) => {
        const checked = checks[i];
        return checked === undefined ? request : { ...request, draft: withoutSuppressed(request.draft, checked) };
      }),
    );
    outcomes.forEach((outcome, i) => {
      const index = indexes[i] ?? 0;
      results[index] = batchResult(index, requests[i]?.draft.idempotency_key ?? null, outcome, checks[i]);
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

/** A batch item refused before storing (its template, its sender, its files), reported in place like a validation error. */
function itemFailure(error: unknown, index: number): Pick<BatchResult, 'status' | 'errors'> {
  if (error instanceof MissingVariablesError) {
    return { status: 422, errors: error.variables.map((name) => ({ field: `variables.${name}`, message: 'is used by the template but was not given' })) };
  }
  if (error instanceof TemplateRenderError) return { status: 422, errors: [{ field: 'variables', message: error.message }] };
  if (error instanceof NotFoundError) return { status: 404, errors: [{ field: error.message.includes('contact') ? 'contact_id' : 'template', message: error.message }] };
  if (error instanceof SenderNotAllowedError) return { status: 403, errors: [{ field: 'from', message: error.message }] };
  if (error instanceof InvalidFieldsError) return { status: 422, errors: error.errors.map((e) => ({ field: `items.${index}.${e.field}`, message: e.message })) };
  throw error;
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

function batchResult(index: number, key: string | null, outcome: Acceptance, checked: CheckedRecipients | undefined): BatchResult {
  switch (outcome.outcome) {
    case 'accepted':
      return {
        index,
        idempotency_key: key,
        status: 202,
        id: outcome.row.id,
        replayed: outcome.replayed,
        ...(outcome.status === 'suppressed' ? { message_status: 'suppressed' as const } : {}),
        ...suppressionAnswer(checked, outcome.row),
      };
    case 'mismatch':
      return { index, idempotency_key: key, status: 422, errors: [{ field: 'idempotency_key', message: new IdempotencyKeyReusedError().message }] };
    case 'unstorable':
      return { index, idempotency_key: key, status: 422, errors: [{ field: '(item)', message: new UnstorableValueError().message }] };
  }
}

import type { MessageKind } from '../domain/message-kinds';
import type { ProviderName, TryProvider } from '../domain/provider-names';
import type { AttemptRecord, Claim } from '../lifecycle/attempt-rows';
import type { MessageToSend } from '../lifecycle/send-columns';
import { type ComposeConfig, composeMessage } from '../mail/compose';
import type { IdentityRoute } from '../mail/identity-route';
import type { SendingIdentity } from '../mail/identity-transports';
import type { OutgoingMail } from '../mail/outgoing-mail';
import type { ChainResult, ProviderChain } from '../mail/provider-chain';
import type { MailEngagement } from '../engagement/mail-engagement';
import type { Logger } from '../platform/logger';
import type { RecipientGuard } from '../validation/recipient-guard';
import type { DeliveryLedger } from './delivery-ledger';

export interface DeliveryRequest {
  readonly id: string;
  readonly kind: MessageKind;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The BullMQ job id (the row id by construction), for the logs. */
  readonly jobId?: string;
}

export type DeliveryOutcome =
  | { readonly outcome: 'sent'; readonly provider: TryProvider; readonly providerMessageId: string }
  /** Nothing to do: finished, cancelled, or taken by another worker. */
  | { readonly outcome: 'skipped' }
  /** Another worker holds a live lease; look again when it ends. */
  | { readonly outcome: 'leased'; readonly until: Date }
  /** The send finished after this worker's claim was lost; its outcome was not recorded. */
  | { readonly outcome: 'stale' }
  | { readonly outcome: 'retry'; readonly error: string }
  | { readonly outcome: 'failed'; readonly error: string; readonly permanent: boolean };

/** Observers of each delivery (metrics, the live tail); they must not throw. */
export interface DeliveryListener {
  onAttempt?(request: DeliveryRequest, result: ChainResult, durationMs: number): void;
  /** An outcome write was refused because the claim no longer held. */
  onStaleClaim?(request: DeliveryRequest, transition: 'sent' | 'retrying' | 'failed'): void;
}

/** How messages sent as a sender identity go out: the route, and where the identity is read (with its password opened). */
export interface IdentitySending {
  readonly route: IdentityRoute;
  readonly identity: (id: string) => Promise<SendingIdentity | undefined>;
}

/** Whether the attempt that just failed ends the message: a permanent refusal, or the last attempt. */
export function isFinalFailure(result: ChainResult, request: Pick<DeliveryRequest, 'attempt' | 'maxAttempts'>): boolean {
  const isPermanent = result.outcome === 'permanent';
  const hasReachedMaxAttempts = request.attempt >= request.maxAttempts;
  return isPermanent || hasReachedMaxAttempts;
}

/** The provider that answered last (or was skipped last): the one a failure is about. */
export function lastProviderTried(result: ChainResult) {
  const reached = result.tries.filter((entry) => entry.outcome !== 'skipped');
  return reached[reached.length - 1] ?? result.tries[result.tries.length - 1];
}

/** Sends one stored message through the provider chain and records what happened. */
export class DeliveryService {
  constructor(
    private readonly ledger: DeliveryLedger,
    private readonly chain: ProviderChain,
    private readonly config: ComposeConfig,
    private readonly logger: Logger,
    private readonly listeners: readonly DeliveryListener[] = [],
    /** VALIDATION_POLICY worker: stops messages none of whose recipients can receive mail. */
    private readonly guard?: RecipientGuard,
    /** Sender identities; absent, a message's identity is only recorded. */
    private readonly identities?: IdentitySending,
    /** Tracked links, the open pixel and unsubscribe headers, for the messages that have them. */
    private readonly engagement?: MailEngagement,
  ) {}

  async deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
    const claimed = await this.ledger.claim(request.id, request.attempt - 1);
    if (claimed === undefined) {
      const until = await this.ledger.leaseEnd(request.id);
      return until !== undefined ? { outcome: 'leased', until } : { outcome: 'skipped' };
    }
    const { message, claim } = claimed;
    if (this.guard !== undefined) {
      const stopped = await this.stopIfUndeliverable(this.guard, request, claim, message);
      if (stopped !== undefined) return stopped;
    }
    const started = performance.now();
    // Only a message that has files reads them: every other delivery costs no extra query.
    const files = message.attachment_count > 0 ? await this.ledger.attachments(message.id) : [];
    const composed = composeMessage(message, this.config, files);
    const mail = this.engagement === undefined ? composed : await this.engagement.apply(message, composed);
    const result = await this.whileLeased(claim, () => this.send(message, mail));
    const durationMs = performance.now() - started;
    // The attempt's rows are written by the same statement as its outcome (one commit per delivery).
    const attempt: AttemptRecord = { messageId: request.id, attempt: request.attempt, identityId: message.identity_id, tries: result.tries };
    // Told after the outcome is written, so that what they report is already in the record.
    const notify = () => {
      for (const listener of this.listeners) listener.onAttempt?.(request, result, durationMs);
    };

    const log = { messageId: request.id, jobId: request.jobId, kind: request.kind, attempt: request.attempt, durationMs: Math.round(durationMs) };
    if (result.outcome === 'sent') {
      const written = await this.ledger.markSent(claim, result.provider, result.providerMessageId, attempt);
      notify();
      if (!written) return this.stale(request, 'sent');
      // The common case: build its line only when it will be written.
      if (this.logger.isLevelEnabled('info')) this.logger.info({ ...log, provider: result.provider, outcome: 'sent' }, 'delivered');
      return { outcome: 'sent', provider: result.provider, providerMessageId: result.providerMessageId };
    }
    const last = lastProviderTried(result);
    const failure = { provider: last?.provider ?? null, errorClass: last?.errorClass ?? result.outcome };
    if (isFinalFailure(result, request)) {
      const permanent = result.outcome === 'permanent';
      const written = await this.ledger.markFailed(claim, { error: result.error, permanent, provider: failure.provider }, attempt);
      notify();
      if (!written) return this.stale(request, 'failed');
      this.logger.warn({ ...log, ...failure, outcome: 'failed', error: result.error }, 'delivery failed');
      return { outcome: 'failed', error: result.error, permanent };
    }
    const written = await this.ledger.markRetrying(claim, result.error, attempt);
    notify();
    if (!written) return this.stale(request, 'retrying');
    this.logger.warn({ ...log, ...failure, outcome: 'retry', error: result.error }, 'delivery will be retried');
    return { outcome: 'retry', error: result.error };
  }

  /** The chain, or for a message sent as an identity, the identity's own server first (one read of the identity, only then). */
  private async send(message: MessageToSend, mail: OutgoingMail): Promise<ChainResult> {
    if (message.identity_id === null || this.identities === undefined) return this.chain.deliver(mail, routing(message));
    let identity: SendingIdentity | undefined;
    try {
      identity = await this.identities.identity(message.identity_id);
    } catch (error) {
      // A password that cannot be opened (its key left CREDENTIALS_KEYS) must not stop the mail: the default chain takes it.
      this.logger.warn({ messageId: message.id, identityId: message.identity_id, err: error }, "identity's SMTP settings not readable; sending through the default chain");
    }
    return this.identities.route.deliver(mail, identity, routing(message));
  }

  /**
   * Runs a send while renewing its lease every third of the lease, so that a slow provider
   * (or a send queued inside a connection pool) never looks like a dead worker.
   */
  private async whileLeased<T>(claim: Claim, send: () => Promise<T>): Promise<T> {
    const renew = () => {
      this.ledger
        .renew(claim)
        .then((held) => {
          if (!held) this.logger.warn({ messageId: claim.id }, 'lease lost while sending; the outcome will not be recorded');
        })
        .catch((error: unknown) => this.logger.warn({ err: error, messageId: claim.id }, 'lease not renewed'));
    };
    const timer = setInterval(renew, Math.max(50, Math.floor(this.ledger.leaseMs / 3)));
    try {
      return await send();
    } finally {
      clearInterval(timer);
    }
  }

  /** Fails the message, before any provider is called, when every recipient is undeliverable. */
  private async stopIfUndeliverable(guard: RecipientGuard, request: DeliveryRequest, claim: Claim, message: MessageToSend): Promise<DeliveryOutcome | undefined> {
    // A contact message goes to the operator's own CONTACT_INBOX: nothing a visitor chose to check.
    if (message.kind === 'contact') return undefined;
    const recipients = [...message.to, ...message.cc, ...message.bcc];
    if (recipients.length === 0) return undefined;
    const undeliverable = await guard.undeliverable(recipients);
    const isEveryRecipientUndeliverable = recipients.every((recipient) => undeliverable[recipient] !== undefined);
    if (!isEveryRecipientUndeliverable) return undefined;
    const written = await this.ledger.markUndeliverable(claim, request.attempt, undeliverable);
    if (!written) return this.stale(request, 'failed');
    const error = 'recipient_undeliverable';
    this.logger.warn({ messageId: request.id, jobId: request.jobId, kind: request.kind, attempt: request.attempt, errorClass: error, outcome: 'failed' }, 'no recipient can receive mail; no provider called');
    return { outcome: 'failed', error, permanent: true };
  }

  private stale(request: DeliveryRequest, transition: 'sent' | 'retrying' | 'failed'): DeliveryOutcome {
    this.logger.warn({ messageId: request.id, jobId: request.jobId, attempt: request.attempt, transition }, 'claim no longer held; outcome not recorded');
    for (const listener of this.listeners) listener.onStaleClaim?.(request, transition);
    return { outcome: 'stale' };
  }
}

function routing(message: MessageToSend): { preferred: ProviderName | null; useFallback: boolean } {
  if (message.kind === 'contact') return { preferred: null, useFallback: true };
  return { preferred: (message.provider_hint as ProviderName | null) ?? null, useFallback: message.use_fallback };
}

import type { Config, ProviderName } from '../platform/config';
import type { MessageKind } from '../platform/database';
import type { Logger } from '../platform/logger';
import { composeContact, composeNotification } from '../mail/compose';
import type { OutgoingMail } from '../mail/outgoing-mail';
import type { ChainResult, ProviderChain } from '../mail/provider-chain';
import type { DeliveryRepository, MessageRow } from './repository';

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
  | { readonly outcome: 'sent'; readonly provider: ProviderName; readonly providerMessageId: string }
  /** Nothing to do: finished, cancelled, or taken by another worker. */
  | { readonly outcome: 'skipped' }
  /** Another worker holds a live lease; look again when it ends. */
  | { readonly outcome: 'leased'; readonly until: Date }
  | { readonly outcome: 'retry'; readonly error: string }
  | { readonly outcome: 'failed'; readonly error: string; readonly permanent: boolean };

/** Observers of each delivery (metrics, the live tail); they must not throw. */
export interface DeliveryListener {
  onAttempt?(request: DeliveryRequest, result: ChainResult, durationMs: number): void;
}

/** Sends one stored message through the provider chain and records what happened. */
export class DeliveryService {
  constructor(
    private readonly repository: DeliveryRepository,
    private readonly chain: ProviderChain,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly listeners: readonly DeliveryListener[] = [],
  ) {}

  async deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
    const claimed = await this.repository.claim(request.kind, request.id, this.config.sweeper.leaseMs, request.attempt - 1);
    if (claimed === undefined) {
      const until = await this.repository.leaseEnd(request.kind, request.id);
      return until !== undefined ? { outcome: 'leased', until } : { outcome: 'skipped' };
    }
    const started = performance.now();
    const result = await this.chain.deliver(this.compose(claimed), this.routing(claimed));
    const durationMs = performance.now() - started;
    // The attempt's rows are written by the same statement as its outcome (one commit per delivery).
    const attempts = { attempt: request.attempt, tries: result.tries };
    const notify = () => {
      for (const listener of this.listeners) listener.onAttempt?.(request, result, durationMs);
    };

    const log = { messageId: request.id, jobId: request.jobId, kind: request.kind, attempt: request.attempt, durationMs: Math.round(durationMs) };
    if (result.outcome === 'sent') {
      await this.repository.markSent(request.kind, request.id, result.provider, result.providerMessageId, attempts);
      notify();
      // The common case: build its line only when it will be written.
      if (this.logger.isLevelEnabled('info')) this.logger.info({ ...log, provider: result.provider, outcome: 'sent' }, 'delivered');
      return { outcome: 'sent', provider: result.provider, providerMessageId: result.providerMessageId };
    }
    // The provider that answered last (or was skipped last) is the one the failure is about.
    const reached = result.tries.filter((entry) => entry.outcome !== 'skipped');
    const last = reached[reached.length - 1] ?? result.tries[result.tries.length - 1];
    const failure = { provider: last?.provider ?? null, errorClass: last?.errorClass ?? result.outcome };
    const isPermanent = result.outcome === 'permanent';
    const hasReachedMaxAttempts = request.attempt >= request.maxAttempts;
    if (isPermanent || hasReachedMaxAttempts) {
      await this.repository.markFailed(request.kind, request.id, result.error, attempts);
      notify();
      this.logger.warn({ ...log, ...failure, outcome: 'failed', error: result.error }, 'delivery failed');
      return { outcome: 'failed', error: result.error, permanent: isPermanent };
    }
    await this.repository.markRetrying(request.kind, request.id, result.error, attempts);
    notify();
    this.logger.warn({ ...log, ...failure, outcome: 'retry', error: result.error }, 'delivery will be retried');
    return { outcome: 'retry', error: result.error };
  }

  private compose(message: MessageRow): OutgoingMail {
    return message.kind === 'contact' ? composeContact(message.row, this.config) : composeNotification(message.row, this.config);
  }

  private routing(message: MessageRow): { preferred: ProviderName | null; useFallback: boolean } {
    if (message.kind === 'contact') return { preferred: null, useFallback: true };
    return { preferred: (message.row.provider_hint as ProviderName | null) ?? null, useFallback: message.row.use_fallback };
  }
}

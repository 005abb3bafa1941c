import { performance } from 'node:perf_hooks';
import type { TryProvider } from '../domain/provider-names';
import type { ProviderName } from '../platform/config';
import type { CircuitBreaker } from './circuit-breaker';
import { CIRCUIT_OPEN_CLASS, errorClassOf } from './error-class';
import type { OutgoingMail } from './outgoing-mail';
import { ProviderError, type MailProvider } from './providers/mail-provider';

/** One provider's part in a delivery attempt; each becomes a delivery_attempts row. */
export interface ProviderTry {
  readonly provider: TryProvider;
  readonly outcome: 'sent' | 'transient' | 'permanent' | 'skipped';
  readonly error?: string;
  /** Address-free summary of the error (`permanent:550`, `transient:ECONNREFUSED`), for logs and the live tail. */
  readonly errorClass?: string;
  readonly durationMs: number;
}

export type ChainResult =
  | { readonly outcome: 'sent'; readonly provider: TryProvider; readonly providerMessageId: string; readonly tries: readonly ProviderTry[] }
  | { readonly outcome: 'permanent' | 'transient'; readonly error: string; readonly tries: readonly ProviderTry[] };

export interface DeliverOptions {
  /** The row's provider hint, tried first. */
  readonly preferred?: ProviderName | null;
  /** Whether the other providers may be tried after the first. */
  readonly useFallback: boolean;
}

/** The kind, stored error text and address-free class of a failed send. */
export function describeFailure(err: unknown): { kind: 'permanent' | 'transient'; error: string; errorClass: string } {
  if (err instanceof ProviderError) {
    // Misconfiguration moves on like a transient failure; the prefix keeps the reason visible.
    const prefix = err.kind === 'misconfigured' ? 'misconfigured: ' : '';
    return { kind: err.kind === 'permanent' ? 'permanent' : 'transient', error: `${prefix}${err.message}`, errorClass: errorClassOf(err) };
  }
  // Providers wrap everything they know; anything else is our bug, retried rather than failed for good.
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'transient', error: `unexpected error: ${message.slice(0, 300)}`, errorClass: errorClassOf(err) };
}

/**
 * Walks the provider chain for one delivery attempt (DESIGN section 5): the preferred provider
 * first, the others only with fallback, skipping open circuits and stopping at a permanent error.
 */
export class ProviderChain {
  constructor(
    private readonly providers: readonly MailProvider[],
    private readonly breaker: CircuitBreaker,
  ) {}

  /** Provider names in chain order. */
  get providerNames(): ProviderName[] {
    return this.providers.map((provider) => provider.name);
  }

  async deliver(mail: OutgoingMail, options: DeliverOptions): Promise<ChainResult> {
    const ordered = this.#order(options.preferred ?? null);
    const candidates = options.useFallback ? ordered : ordered.slice(0, 1);
    const tries: ProviderTry[] = [];
    for (const provider of candidates) {
      if (!this.breaker.canTry(provider.name)) {
        tries.push({ provider: provider.name, outcome: 'skipped', error: 'circuit open', errorClass: CIRCUIT_OPEN_CLASS, durationMs: 0 });
        continue;
      }
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const { providerMessageId } = await provider.send(mail);
        this.breaker.recordSuccess(provider.name);
        tries.push({ provider: provider.name, outcome: 'sent', durationMs: elapsed() });
        return { outcome: 'sent', provider: provider.name, providerMessageId, tries };
      } catch (err) {
        const { kind, error, errorClass } = describeFailure(err);
        tries.push({ provider: provider.name, outcome: kind, error, errorClass, durationMs: elapsed() });
        if (kind === 'permanent') {
          // The provider answered properly, it just refused this message: it is healthy.
          this.breaker.recordSuccess(provider.name);
          return { outcome: 'permanent', error: `${provider.name}: ${error}`, tries };
        }
        this.breaker.recordFailure(provider.name);
      }
    }
    return { outcome: 'transient', error: this.#summary(tries), tries };
  }

  /** Closes every provider; one failing to close does not keep the others open. */
  async close(): Promise<void> {
    await Promise.allSettled(this.providers.map((provider) => provider.close()));
  }

  #order(preferred: ProviderName | null): readonly MailProvider[] {
    const first = preferred === null ? undefined : this.providers.find((provider) => provider.name === preferred);
    // A hint naming a provider this deployment does not run is ignored rather than failed: the
    // client cannot know our chain, and the message is still deliverable through the default order.
    if (first === undefined) return this.providers;
    return [first, ...this.providers.filter((provider) => provider !== first)];
  }

  #summary(tries: readonly ProviderTry[]): string {
    if (tries.length === 0) return 'no mail provider configured';
    const parts = tries.map((entry) => `${entry.provider}: ${entry.outcome === 'skipped' ? 'skipped (circuit open)' : (entry.error ?? entry.outcome)}`);
    return `every provider failed: ${parts.join('; ')}`;
  }
}

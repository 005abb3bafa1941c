import { performance } from 'node:perf_hooks';
import { IDENTITY_SMTP } from '../domain/provider-names';
import type { CircuitBreaker } from './circuit-breaker';
import { CIRCUIT_OPEN_CLASS } from './error-class';
import type { IdentityTransports, SendingIdentity } from './identity-transports';
import type { OutgoingMail } from './outgoing-mail';
import { type ChainResult, type DeliverOptions, describeFailure, type ProviderChain, type ProviderTry } from './provider-chain';
import { alignedForProviders } from './sender-form';

/**
 * How a message sent as a sender identity goes out (accounts.md, "Which From"): through the
 * identity's own SMTP server first, when it has one; when that server fails transiently or
 * refuses the credentials (or its circuit is open), through the default chain, with the From
 * Herald's providers may use and Reply-To the identity. A permanent recipient rejection by the
 * identity's server fails the message like any other.
 */
export class IdentityRoute {
  constructor(
    private readonly transports: IdentityTransports,
    private readonly chain: ProviderChain,
    /** One circuit per identity, by id. */
    private readonly breaker: CircuitBreaker<string>,
    private readonly config: { readonly mailFrom: string; readonly mailFromDomains: readonly string[] },
  ) {}

  async deliver(mail: OutgoingMail, identity: SendingIdentity | undefined, options: DeliverOptions): Promise<ChainResult> {
    const tries: ProviderTry[] = [];
    const smtp = identity?.smtp ?? null;
    if (identity !== undefined && smtp !== null) {
      if (!this.breaker.canTry(identity.id)) {
        tries.push({ provider: IDENTITY_SMTP, outcome: 'skipped', error: 'circuit open', errorClass: CIRCUIT_OPEN_CLASS, durationMs: 0 });
      } else {
        const started = performance.now();
        const elapsed = () => Math.round(performance.now() - started);
        try {
          const { providerMessageId } = await this.transports.send({ ...identity, smtp }, mail);
          this.breaker.recordSuccess(identity.id);
          tries.push({ provider: IDENTITY_SMTP, outcome: 'sent', durationMs: elapsed() });
          return { outcome: 'sent', provider: IDENTITY_SMTP, providerMessageId, tries };
        } catch (err) {
          const { kind, error, errorClass } = describeFailure(err);
          tries.push({ provider: IDENTITY_SMTP, outcome: kind, error, errorClass, durationMs: elapsed() });
          if (kind === 'permanent') {
            this.breaker.recordSuccess(identity.id);
            return { outcome: 'permanent', error: `${IDENTITY_SMTP}: ${error}`, tries };
          }
          this.breaker.recordFailure(identity.id);
        }
      }
    }
    const rest = await this.chain.deliver(alignedForProviders(mail, this.config), options);
    const own = tries[0];
    if (rest.outcome === 'sent' || own === undefined) return { ...rest, tries: [...tries, ...rest.tries] };
    // The failure says what the identity's own server answered too.
    const first = `${IDENTITY_SMTP}: ${own.outcome === 'skipped' ? 'skipped (circuit open)' : (own.error ?? own.outcome)}`;
    return { ...rest, error: `${first}; ${rest.error}`, tries: [...tries, ...rest.tries] };
  }

  async close(): Promise<void> {
    await this.transports.close();
  }
}

import type { ProviderName } from '../platform/config';

export interface CircuitBreakerOptions {
  /** Consecutive transient or misconfigured failures that open the circuit. */
  readonly failureThreshold?: number;
  /** How long an open circuit rejects calls before letting one probe through. */
  readonly cooldownMs?: number;
  /** Clock in milliseconds; tests inject their own. */
  readonly now?: () => number;
}

interface ProviderCircuit {
  consecutiveFailures: number;
  /** When the circuit opened; undefined while closed. */
  openedAt?: number;
  /** When the half-open probe was let through; undefined while none is out. */
  probeStartedAt?: number;
}

/**
 * Per-provider circuit breaker (or per anything else a circuit is kept for: a sender identity's own server). Closed: every call goes through. Open: calls are refused for
 * the cool-down. Then half-open: one probe goes through; its success closes the circuit, its
 * failure opens it for another cool-down. State is in memory, per worker process.
 */
export class CircuitBreaker<Key extends string = ProviderName> {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #circuits = new Map<Key, ProviderCircuit>();

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = Math.max(1, options.failureThreshold ?? 5);
    this.#cooldownMs = Math.max(0, options.cooldownMs ?? 30_000);
    this.#now = options.now ?? Date.now;
  }

  /** True while the circuit is open or half-open, i.e. the provider has not yet proven healthy again. */
  isOpen(provider: Key): boolean {
    return this.#circuits.get(provider)?.openedAt !== undefined;
  }

  /**
   * Whether a call may go to the provider now. In half-open state this hands out the single
   * probe, so call it only right before actually calling the provider, and report the outcome.
   */
  canTry(provider: Key): boolean {
    const circuit = this.#circuits.get(provider);
    if (circuit?.openedAt === undefined) return true;
    const now = this.#now();
    const coolingDown = now - circuit.openedAt < this.#cooldownMs;
    if (coolingDown) return false;
    // A probe whose outcome never came back (crashed caller) must not block the provider forever.
    const probeOut = circuit.probeStartedAt !== undefined && now - circuit.probeStartedAt < this.#cooldownMs;
    if (probeOut) return false;
    circuit.probeStartedAt = now;
    return true;
  }

  recordSuccess(provider: Key): void {
    this.#circuits.delete(provider);
  }

  recordFailure(provider: Key): void {
    const circuit = this.#circuit(provider);
    const probeFailed = circuit.probeStartedAt !== undefined;
    circuit.consecutiveFailures += 1;
    circuit.probeStartedAt = undefined;
    if (probeFailed || circuit.consecutiveFailures >= this.#threshold) circuit.openedAt = this.#now();
  }

  /** Providers whose circuit is open or half-open, for the metrics gauge. */
  openProviders(): Key[] {
    return [...this.#circuits.entries()].filter(([, circuit]) => circuit.openedAt !== undefined).map(([name]) => name);
  }

  #circuit(provider: Key): ProviderCircuit {
    let circuit = this.#circuits.get(provider);
    if (circuit === undefined) {
      circuit = { consecutiveFailures: 0 };
      this.#circuits.set(provider, circuit);
    }
    return circuit;
  }
}

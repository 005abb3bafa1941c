import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the scrape-time gauges read from Redis; each call is one scrape's worth of work. */
export interface ScrapeSources {
  /** Jobs of the deliveries queue by BullMQ state. */
  jobCounts(): Promise<Readonly<Record<string, number>>>;
  /** Seconds the oldest runnable job has waited; 0 when none waits. */
  oldestWaitingJobAgeSeconds(): Promise<number>;
  /** Workers whose heartbeat has not expired, across every replica. */
  liveWorkers(): Promise<number>;
}

/** A circuit breaker as the metrics see it: which providers it guards, and which are open. */
export interface CircuitSource {
  readonly providers: readonly string[];
  openProviders(): readonly string[];
}

/** A body budget as the metrics see it: the bytes it has handed out. */
export interface BodyBudgetSource {
  readonly inFlightBytes: number;
}
export type SweepReason = 'missing_job' | 'expired_lease';

/** The label values every series starts at zero with, so dashboards see them before the first event. */
export interface MetricLabels {
  readonly messageKinds: readonly string[];
  readonly tryOutcomes: readonly string[];
}

export interface MetricsOptions {
  /** Called when a scrape-time read fails; the gauge then has no samples for that scrape. */
  readonly onCollectError?: (metric: string, error: unknown) => void;
}

const SWEEP_REASONS: readonly SweepReason[] = ['missing_job', 'expired_lease'];

/**
 * Herald's Prometheus metrics on a registry of their own (not prom-client's global one),
 * so every process, and every app a test builds, counts separately.
 */
export class HeraldMetrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly messagesAccepted: Counter<'kind'>;
  readonly deliveries: Counter<'provider' | 'outcome'>;
  readonly deliveryDuration: Histogram<'provider'>;
  readonly sweeperRequeued: Counter<'reason'>;
  readonly staleClaimWrites: Counter<'transition'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookEventToDelivery: Histogram;
  readonly webhookEndpointsDisabled: Counter;
  readonly validations: Counter<'result'>;
  readonly dnsLookups: Counter<'source' | 'status'>;
  readonly validationJobRows: Counter;
  readonly #circuits = new Set<CircuitSource>();
  readonly #bodyBudgets = new Set<BodyBudgetSource>();

  constructor(
    sources: ScrapeSources,
    private readonly labels: MetricLabels,
    options: MetricsOptions = {},
  ) {
    const registers = [this.registry];
    const onError = options.onCollectError ?? (() => undefined);
    collectDefaultMetrics({ register: this.registry });

    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.messagesAccepted = new Counter({
      name: 'herald_messages_accepted_total',
      help: 'Messages accepted and stored (replays not counted), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'herald_deliveries_total',
      help: 'Provider tries by provider and outcome (sent, transient, permanent, skipped).',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.deliveryDuration = new Histogram({
      name: 'herald_delivery_duration_seconds',
      help: 'Time one provider took to accept or refuse a message.',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.sweeperRequeued = new Counter({
      name: 'herald_sweeper_requeued_total',
      help: 'Messages the sweeper handed back to the queue: missing_job (Redis lost or never got the job), expired_lease (a worker died mid-send).',
      labelNames: ['reason'],
      registers,
    });
    this.staleClaimWrites = new Counter({
      name: 'herald_stale_claim_writes_total',
      help: 'Outcome writes refused because the claim they came from no longer held (its lease was lost); nothing was changed.',
      labelNames: ['transition'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'herald_webhook_deliveries_total',
      help: 'Webhook tries by outcome: delivered, retry (will be tried again), failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookEventToDelivery = new Histogram({
      name: 'herald_webhook_event_to_delivery_seconds',
      help: 'From an event to its webhook being delivered (2xx), retries included.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 36000],
      registers,
    });
    this.webhookEndpointsDisabled = new Counter({
      name: 'herald_webhook_endpoints_disabled_total',
      help: 'Webhook endpoints disabled by Herald: a 410, or failing for WEBHOOK_DISABLE_AFTER_H.',
      registers,
    });
    for (const outcome of ['delivered', 'retry', 'failed']) this.webhookDeliveries.inc({ outcome }, 0);
    this.validations = new Counter({
      name: 'herald_validations_total',
      help: 'Addresses validated (single, batch, job and send-time checks), by result.',
      labelNames: ['result'],
      registers,
    });
    this.dnsLookups = new Counter({
      name: 'herald_dns_lookups_total',
      help: 'Domain lookups for validation by source (cache: answered from Redis; dns: queried) and status.',
      labelNames: ['source', 'status'],
      registers,
    });
    this.validationJobRows = new Counter({
      name: 'herald_validation_job_rows_total',
      help: 'Lines of validation jobs processed; its rate is the job rows per second.',
      registers,
    });
    for (const kind of labels.messageKinds) this.messagesAccepted.inc({ kind }, 0);
    for (const reason of SWEEP_REASONS) this.sweeperRequeued.inc({ reason }, 0);

    new Gauge({
      name: 'herald_queue_jobs',
      help: 'Jobs in the deliveries queue by state, read from Redis on scrape.',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const [state, count] of Object.entries(await sources.jobCounts())) this.set({ state }, count);
        } catch (error) {
          onError('herald_queue_jobs', error);
        }
      },
    });
    new Gauge({
      name: 'herald_oldest_waiting_job_age_seconds',
      help: 'How long the oldest runnable delivery job has been waiting for a worker, read on scrape.',
      registers,
      async collect() {
        this.reset();
        try {
          this.set(await sources.oldestWaitingJobAgeSeconds());
        } catch (error) {
          onError('herald_oldest_waiting_job_age_seconds', error);
        }
      },
    });
    new Gauge({
      name: 'herald_live_workers',
      help: 'Workers with a live heartbeat across all replicas, read on scrape.',
      registers,
      async collect() {
        this.reset();
        try {
          this.set(await sources.liveWorkers());
        } catch (error) {
          onError('herald_live_workers', error);
        }
      },
    });
    const bodyBudgets = this.#bodyBudgets;
    new Gauge({
      name: 'herald_http_body_bytes_in_flight',
      help: 'Request-body bytes the api is reading and handling now; beyond MAX_BODY_BYTES_IN_FLIGHT it answers 503.',
      registers,
      collect() {
        this.set([...bodyBudgets].reduce((sum, budget) => sum + budget.inFlightBytes, 0));
      },
    });
    const states = () => this.circuitStates();
    new Gauge({
      name: 'herald_provider_circuit_open',
      help: "1 while a provider's circuit breaker in this process is open or half-open, else 0.",
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const [provider, isOpen] of states()) this.set({ provider }, isOpen ? 1 : 0);
      },
    });
  }

  /** Every provider a breaker of this process guards, and whether its circuit is open or half-open now. */
  circuitStates(): ReadonlyMap<string, boolean> {
    const open = new Map<string, boolean>();
    for (const source of this.#circuits) {
      const openNow = source.openProviders();
      for (const provider of source.providers) open.set(provider, (open.get(provider) ?? false) || openNow.includes(provider));
    }
    return open;
  }

  /** Reports a breaker's circuits from now on, with zeroed delivery series for its providers; returns the undo. */
  watchCircuits(source: CircuitSource): () => void {
    this.#circuits.add(source);
    for (const provider of source.providers) {
      for (const outcome of this.labels.tryOutcomes) this.deliveries.inc({ provider, outcome }, 0);
      this.deliveryDuration.zero({ provider });
    }
    return () => void this.#circuits.delete(source);
  }

  /** Adds a body budget's bytes in flight (body-budget.ts) to herald_http_body_bytes_in_flight from now on; returns the undo. */
  watchBodyBudget(source: BodyBudgetSource): () => void {
    this.#bodyBudgets.add(source);
    return () => void this.#bodyBudgets.delete(source);
  }

  /** Counts one sweep's work: rows whose job was missing, and rows whose worker's lease expired. */
  swept(report: { readonly requeued: number; readonly reclaimed: number }): void {
    this.sweeperRequeued.inc({ reason: 'missing_job' }, report.requeued);
    this.sweeperRequeued.inc({ reason: 'expired_lease' }, report.reclaimed);
  }

  /** Counts accepted messages of one kind. */
  accepted(kind: string, count = 1): void {
    if (count > 0) this.messagesAccepted.inc({ kind }, count);
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

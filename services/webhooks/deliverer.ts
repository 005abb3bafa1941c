import { DelayedError, type Job } from 'bullmq';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { addWebhookJobs, type WebhookJob, webhookJobSchema, type WebhookQueue } from './queue';
import type { WebhookSecrets } from './secrets';
import type { SendResult } from './sender';
import { sendDelivery } from './service';
import type { DeliveryToSend, TryRecord, WebhookStore } from './store';

/** What one try came to, for the metrics and the live tail. */
export interface WebhookTryReport {
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly type: string;
  readonly attempt: number;
  readonly outcome: TryRecord['outcome'];
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  /** From the event to this try's end. */
  readonly sinceEventMs: number;
  readonly endpointDisabled: boolean;
}

/** The longest Retry-After honoured: a receiver cannot park a delivery for longer. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

type Decision = Pick<TryRecord, 'outcome' | 'nextAttemptAt' | 'disableReason' | 'error'> & { delayMs: number };

/** 2xx delivers; 410 gives up and disables; others retry on the schedule (Retry-After for 429 and 503). */
export function decide(result: SendResult, triesDone: number, schedule: readonly number[], now = Date.now()): Decision {
  const code = result.statusCode;
  const error = code === undefined ? (result.error ?? 'connection') : code >= 200 && code < 300 ? null : `HTTP ${code}`;
  if (code !== undefined && code >= 200 && code < 300) return { outcome: 'delivered', nextAttemptAt: null, disableReason: null, error, delayMs: 0 };
  if (code === 410) return { outcome: 'failed', nextAttemptAt: null, disableReason: 'the receiver answered 410 Gone', error, delayMs: 0 };
  const scheduled = schedule[triesDone - 1];
  if (scheduled === undefined) return { outcome: 'failed', nextAttemptAt: null, disableReason: null, error, delayMs: 0 };
  const delayMs = (code === 429 || code === 503) && result.retryAfterMs !== undefined ? Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS) : scheduled;
  return { outcome: 'retry', nextAttemptAt: new Date(now + delayMs), disableReason: null, error, delayMs };
}

/**
 * The webhook queue's processor: loads the delivery, sends it signed to its endpoint (at most
 * WEBHOOK_CONCURRENCY_PER_ENDPOINT at once per endpoint in this process: the others wait delayed,
 * holding no worker slot), records the try, and adds the next try's job when one is due.
 */
export class WebhookDeliverer {
  readonly #inFlight = new Map<string, number>();

  constructor(
    private readonly store: WebhookStore,
    private readonly secrets: WebhookSecrets,
    private readonly queue: WebhookQueue,
    private readonly config: Pick<Config, 'webhooks'>,
    private readonly logger: Logger,
    private readonly listeners: readonly ((report: WebhookTryReport) => void)[] = [],
  ) {}

  /** Deliveries to one endpoint being sent by this process now. */
  inFlight(endpointId: string): number {
    return this.#inFlight.get(endpointId) ?? 0;
  }

  async process(job: Job<WebhookJob, void, 'send'>, token?: string): Promise<void> {
    const data = webhookJobSchema.parse(job.data);
    const delivery = await this.store.deliveryToSend(data.deliveryId);
    // Gone, finished, or a stale job of an earlier try: nothing to do.
    if (delivery === undefined || delivery.status !== 'pending' || delivery.attempt !== data.attempt) return;
    if (!delivery.endpoint.enabled) {
      await this.store.giveUp(delivery.id, delivery.attempt, `endpoint disabled: ${delivery.endpoint.disabled_reason ?? 'by its owner'}`);
      return;
    }
    const endpointId = delivery.endpoint_id;
    const busy = this.inFlight(endpointId);
    if (busy >= this.config.webhooks.concurrencyPerEndpoint) {
      await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 400), token);
      throw new DelayedError();
    }
    this.#inFlight.set(endpointId, busy + 1);
    let result: SendResult;
    try {
      result = await this.#send(delivery);
    } finally {
      const left = this.inFlight(endpointId) - 1;
      if (left > 0) this.#inFlight.set(endpointId, left);
      else this.#inFlight.delete(endpointId);
    }
    await this.#record(delivery, result);
  }

  async #send(delivery: DeliveryToSend): Promise<SendResult> {
    let secrets: string[];
    try {
      secrets = this.secrets.signingSecrets(delivery.endpoint);
    } catch (error) {
      // A key removed from CREDENTIALS_KEYS: retrying cannot help until the operator acts.
      this.logger.error({ err: error, endpointId: delivery.endpoint_id }, 'webhook secret cannot be opened');
      return { durationMs: 0, error: 'secret-unavailable' };
    }
    return sendDelivery(delivery, delivery.endpoint.url, secrets, this.config.webhooks);
  }

  async #record(delivery: DeliveryToSend, result: SendResult): Promise<void> {
    const decision = decide(result, delivery.attempt + 1, this.config.webhooks.retryScheduleMs);
    const recorded = await this.store.recordTry({
      deliveryId: delivery.id,
      endpointId: delivery.endpoint_id,
      attempt: delivery.attempt,
      responseCode: result.statusCode ?? null,
      durationMs: result.durationMs,
      error: decision.error,
      outcome: decision.outcome,
      nextAttemptAt: decision.nextAttemptAt,
      disableReason: decision.disableReason,
      endpointWasFailing: delivery.endpoint.failing_since !== null,
      disableAfterMs: this.config.webhooks.disableAfterMs,
    });
    if (!recorded.written) return;
    if (recorded.endpointDisabled) this.logger.warn({ endpointId: delivery.endpoint_id }, 'webhook endpoint disabled');
    if (decision.outcome === 'retry') {
      // Redis refusing it: the row is pending and falls due, and the sweeper adds the job.
      await addWebhookJobs(this.queue, [{ deliveryId: delivery.id, attempt: delivery.attempt + 1 }], decision.delayMs).catch((error: unknown) =>
        this.logger.warn({ err: error, deliveryId: delivery.id }, 'webhook retry not enqueued; the sweeper will add it'),
      );
    }
    const report: WebhookTryReport = {
      deliveryId: delivery.id,
      endpointId: delivery.endpoint_id,
      eventId: delivery.event_id,
      type: delivery.type,
      attempt: delivery.attempt + 1,
      outcome: decision.outcome,
      statusCode: result.statusCode ?? null,
      durationMs: result.durationMs,
      error: decision.error,
      sinceEventMs: Date.now() - delivery.event_at.getTime(),
      endpointDisabled: recorded.endpointDisabled,
    };
    for (const listener of this.listeners) listener(report);
  }
}

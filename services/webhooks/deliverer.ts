import { DelayedError, type Job } from 'bullmq';
import { MESSAGE_KINDS, type MessageKind } from '../domain/message-kinds';
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
  /** The message the event is about; null for events about none (webhook.test). */
  readonly messageId: string | null;
  readonly messageKind: MessageKind | null;
  readonly attempt: number;
  /** Tries a delivery gets: the first and one per WEBHOOK_RETRY_SCHEDULE entry. */
  readonly maxAttempts: number;
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

/** How long a try waits in this process for a free slot at its endpoint before it is set aside. */
const SLOT_WAIT_MS = 500;

interface Waiter {
  readonly resolve: (got: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The webhook queue's processor: loads the job's deliveries (one query for a batch), sends each
 * signed to its endpoint, records the try, and adds the next try's job when one is due. At most
 * WEBHOOK_CONCURRENCY_PER_ENDPOINT requests per endpoint are in flight in this process; a try
 * that finds no free slot within SLOT_WAIT_MS is set aside as a delayed job of its own, so a
 * slow receiver holds neither worker slots nor the other endpoints' events.
 */
export class WebhookDeliverer {
  readonly #inFlight = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter[]>();
  /** Deliveries being sent by this process: a second job for one of them (the sweeper's) skips it. */
  readonly #sending = new Set<string>();

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
    const { tries } = webhookJobSchema.parse(job.data);
    const loaded = await Promise.all(tries.map((one) => this.store.deliveryToSend(one.deliveryId)));
    const due: DeliveryToSend[] = [];
    for (const [index, delivery] of loaded.entries()) {
      // Gone, finished, a stale job of an earlier try, or being sent here already: nothing to do.
      if (delivery === undefined || delivery.status !== 'pending' || delivery.attempt !== tries[index]?.attempt || this.#sending.has(delivery.id)) continue;
      if (!delivery.endpoint.enabled) {
        await this.store.giveUp(delivery.id, delivery.attempt, `endpoint disabled: ${delivery.endpoint.disabled_reason ?? 'by its owner'}`);
        continue;
      }
      due.push(delivery);
    }
    const single = tries.length === 1 ? due[0] : undefined;
    if (single !== undefined) {
      const waiting = this.#waiters.get(single.endpoint_id)?.length ?? 0;
      const got = await this.#slot(single.endpoint_id, waiting < this.config.webhooks.concurrencyPerEndpoint ? SLOT_WAIT_MS : 0);
      if (!got) {
        await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 400), token);
        throw new DelayedError();
      }
      await this.#tryOnce(single);
      return;
    }
    const setAside: { deliveryId: string; attempt: number }[] = [];
    await Promise.all(
      due.map(async (delivery) => {
        if (await this.#slot(delivery.endpoint_id, SLOT_WAIT_MS)) await this.#tryOnce(delivery);
        else setAside.push({ deliveryId: delivery.id, attempt: delivery.attempt });
      }),
    );
    // Redis refusing them: the rows are pending and due, and the sweeper adds their jobs.
    await addWebhookJobs(this.queue, setAside, 100 + Math.floor(Math.random() * 400)).catch((error: unknown) =>
      this.logger.warn({ err: error, count: setAside.length }, 'webhook tries not set aside; the sweeper will add them'),
    );
  }

  /** Takes a slot at the endpoint, waiting up to `maxWaitMs` for one; false when none came. */
  #slot(endpointId: string, maxWaitMs: number): Promise<boolean> {
    const busy = this.inFlight(endpointId);
    if (busy < this.config.webhooks.concurrencyPerEndpoint) {
      this.#inFlight.set(endpointId, busy + 1);
      return Promise.resolve(true);
    }
    if (maxWaitMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(endpointId) ?? [];
      this.#waiters.set(endpointId, waiters);
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          if (waiters.length === 0) this.#waiters.delete(endpointId);
          resolve(false);
        }, maxWaitMs),
      };
      waiters.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it. */
  #release(endpointId: string): void {
    const waiters = this.#waiters.get(endpointId);
    const next = waiters?.shift();
    if (waiters !== undefined && waiters.length === 0) this.#waiters.delete(endpointId);
    if (next !== undefined) {
      clearTimeout(next.timer);
      next.resolve(true);
      return;
    }
    const left = this.inFlight(endpointId) - 1;
    if (left > 0) this.#inFlight.set(endpointId, left);
    else this.#inFlight.delete(endpointId);
  }

  /** Sends one delivery under a slot already taken, then records the try. */
  async #tryOnce(delivery: DeliveryToSend): Promise<void> {
    this.#sending.add(delivery.id);
    try {
      let result: SendResult;
      try {
        result = await this.#send(delivery);
      } finally {
        this.#release(delivery.endpoint_id);
      }
      await this.#record(delivery, result);
    } finally {
      this.#sending.delete(delivery.id);
    }
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
    const data = delivery.payload.data as { id?: unknown; kind?: unknown } | undefined;
    const report: WebhookTryReport = {
      deliveryId: delivery.id,
      endpointId: delivery.endpoint_id,
      eventId: delivery.event_id,
      type: delivery.type,
      messageId: typeof data?.id === 'string' ? data.id : null,
      messageKind: (MESSAGE_KINDS as readonly unknown[]).includes(data?.kind) ? (data?.kind as MessageKind) : null,
      attempt: delivery.attempt + 1,
      maxAttempts: this.config.webhooks.retryScheduleMs.length + 1,
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

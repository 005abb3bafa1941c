import { z } from 'zod';
import { type DeliveryListener, type DeliveryRequest, isFinalFailure, lastProviderTried } from '../delivery/delivery-service';
import type { ChainResult } from '../mail/provider-chain';
import { MESSAGE_KINDS } from '../domain/message-kinds';
import { TRY_OUTCOMES } from '../domain/try-outcomes';
import { Coalescer } from '../platform/coalescer';
import { deliveryEventsKey } from '../platform/redis-keys';
import type { Redis } from '../platform/redis';
import type { WebhookTryReport } from '../webhooks/deliverer';

/** The capped stream every worker appends to; under the queue prefix, so one hash slot in Redis Cluster. */


/** Roughly how many events the stream keeps (XADD MAXLEN ~): minutes to hours of history, a few MB. */
export const DELIVERY_EVENTS_MAXLEN = 10000;

const tryOutcome = z.enum(TRY_OUTCOMES);

/**
 * One delivery attempt as the live tail shows it. Ids, timings and classes only: no addresses,
 * subjects, bodies or provider answers, since anyone with Redis access can read the stream.
 */
export const deliveryEventSchema = z.object({
  at: z.iso.datetime(),
  messageId: z.string(),
  kind: z.enum(MESSAGE_KINDS),
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  /** What this attempt came to. */
  outcome: z.enum(['sent', 'transient', 'permanent']),
  /** What happens to the message now. */
  status: z.enum(['sent', 'retrying', 'failed']),
  /** The provider that sent it, or the last one that was tried. */
  provider: z.string().nullable(),
  errorClass: z.string().nullable(),
  durationMs: z.number().int().min(0),
  worker: z.string(),
  /** Present when the attempt is a webhook try about the message rather than a send of it. */
  webhook: z.object({ eventId: z.string(), type: z.string(), endpointId: z.string(), statusCode: z.number().int().nullable() }).optional(),
  tries: z.array(
    z.object({
      provider: z.string(),
      outcome: tryOutcome,
      errorClass: z.string().nullable(),
      durationMs: z.number().int().min(0),
    }),
  ),
});
export type DeliveryEvent = z.infer<typeof deliveryEventSchema>;

/** Builds the event for one attempt; the status follows the same rules as DeliveryService. */
export function toDeliveryEvent(request: DeliveryRequest, result: ChainResult, durationMs: number, worker: string, at = new Date()): DeliveryEvent {
  const status = result.outcome === 'sent' ? 'sent' : isFinalFailure(result, request) ? 'failed' : 'retrying';
  const last = lastProviderTried(result);
  return {
    at: at.toISOString(),
    messageId: request.id,
    kind: request.kind,
    attempt: request.attempt,
    maxAttempts: request.maxAttempts,
    outcome: result.outcome,
    status,
    provider: result.outcome === 'sent' ? result.provider : (last?.provider ?? null),
    errorClass: result.outcome === 'sent' ? null : (last?.errorClass ?? (result.tries.length === 0 ? 'no-provider' : null)),
    durationMs: Math.round(durationMs),
    worker,
    tries: result.tries.map((entry) => ({
      provider: entry.provider,
      outcome: entry.outcome,
      errorClass: entry.errorClass ?? null,
      durationMs: Math.round(entry.durationMs),
    })),
  };
}

/**
 * Appends each attempt to the capped stream, off the delivery path: a failed append is reported,
 * never thrown, because the live tail must not cost a delivery. Attempts that finish together
 * (one turn of the event loop, or while an append is in flight) go to Redis in one pipeline.
 */
export class DeliveryEventPublisher implements DeliveryListener {
  readonly #appends = new Coalescer<DeliveryEvent, undefined>((events) => this.#append(events), { maxInFlight: 1, maxBatch: 1000 });
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly worker: string,
    private readonly onError: (error: unknown) => void,
    private readonly maxLen = DELIVERY_EVENTS_MAXLEN,
  ) {}

  onAttempt(request: DeliveryRequest, result: ChainResult, durationMs: number): void {
    const append = this.#appends
      .submit(toDeliveryEvent(request, result, durationMs, this.worker))
      .catch(this.onError)
      .finally(() => this.#pending.delete(append));
    this.#pending.add(append);
  }

  /** A webhook try about a message, in the same stream (provider `webhook`); events about no message are left out. */
  webhookTry(report: WebhookTryReport): void {
    if (report.messageId === null || report.messageKind === null) return;
    const outcome = report.outcome === 'delivered' ? 'sent' : report.outcome === 'retry' ? 'transient' : 'permanent';
    const event: DeliveryEvent = {
      at: new Date().toISOString(),
      messageId: report.messageId,
      kind: report.messageKind,
      attempt: report.attempt,
      maxAttempts: Math.max(report.attempt, report.maxAttempts),
      outcome,
      status: report.outcome === 'delivered' ? 'sent' : report.outcome === 'retry' ? 'retrying' : 'failed',
      provider: 'webhook',
      errorClass: report.error,
      durationMs: Math.round(report.durationMs),
      worker: this.worker,
      webhook: { eventId: report.eventId, type: report.type, endpointId: report.endpointId, statusCode: report.statusCode },
      tries: [{ provider: 'webhook', outcome, errorClass: report.error, durationMs: Math.round(report.durationMs) }],
    };
    const append = this.#appends
      .submit(event)
      .catch(this.onError)
      .finally(() => this.#pending.delete(append));
    this.#pending.add(append);
  }

  async #append(events: readonly DeliveryEvent[]): Promise<undefined[]> {
    const pipeline = this.redis.pipeline();
    const key = deliveryEventsKey(this.prefix);
    for (const event of events) pipeline.xadd(key, 'MAXLEN', '~', this.maxLen, '*', 'event', JSON.stringify(event));
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error !== null);
      if (failed !== undefined) this.onError(failed[0]);
    } catch (error) {
      this.onError(error);
    }
    return events.map(() => undefined);
  }

  /** Waits for appends in flight, so a stopping worker's last events still reach the stream. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}

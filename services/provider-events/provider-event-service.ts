import type { Db } from '../database';
import { InvalidSignatureError, MalformedBodyError, NotConfiguredError } from '../domain/errors';
import { type EventProvider, type ProviderEventInput, recordProviderEvents } from '../lifecycle/record-provider-events';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import { parseOrThrow } from '../platform/schema-helpers';
import { mailgunEvent } from './mailgun-events';
import { MAILGUN_MAX_AGE_S, MailgunSignature } from './mailgun-signature';
import { ReplayGuard } from './replay-guard';
import { type ProviderEventsAnswer, mailgunEventDataSchema, mailgunSignatureSchema, sendgridBatchSchema } from './schema';
import { sendgridEvent } from './sendgrid-events';
import { SendgridSignature } from './sendgrid-signature';

export type ProviderEventsConfig = Pick<Config, 'providerEvents' | 'engagement' | 'mailDomain' | 'queuePrefix'>;

/** Events per statement: a SendGrid batch of thousands is written in a few. */
const CHUNK = 1000;

/** What a SendGrid post carries once its signature has been checked. */
export interface SendgridPost {
  readonly timestamp?: string;
  readonly signature?: string;
  readonly body: Buffer;
}

/**
 * Delivery events SendGrid and Mailgun post back (design/engagement.md "Provider events in"):
 * verified, read into Herald's event types and recorded through the lifecycle, which moves the
 * message and suppresses the address. An unset key leaves its provider's route answering 503.
 */
export class ProviderEventService {
  readonly #sendgrid?: SendgridSignature;
  readonly #mailgun?: MailgunSignature;
  readonly #mailgunTokens: ReplayGuard;

  constructor(
    private readonly db: Db,
    redis: Redis,
    private readonly config: ProviderEventsConfig,
    private readonly logger: Logger,
    /** Enqueues the webhook deliveries the events wrote. */
    private readonly dispatch: (deliveryIds: readonly string[]) => void = () => undefined,
  ) {
    const { sendgridPublicKey, mailgunSigningKey } = config.providerEvents;
    if (sendgridPublicKey !== undefined) this.#sendgrid = new SendgridSignature(sendgridPublicKey);
    if (mailgunSigningKey !== undefined) this.#mailgun = new MailgunSignature(mailgunSigningKey);
    // Twice the timestamps' window: a token is remembered for as long as its timestamp could pass.
    this.#mailgunTokens = new ReplayGuard(redis, config.queuePrefix, 'mailgun', 2 * MAILGUN_MAX_AGE_S, logger);
  }

  /** Throws NotConfiguredError (503 naming the variable) when SendGrid's key is not set: checked before the body is read. */
  requireSendgrid(): SendgridSignature {
    if (this.#sendgrid === undefined) throw new NotConfiguredError('SENDGRID_WEBHOOK_PUBLIC_KEY');
    return this.#sendgrid;
  }

  /** Throws NotConfiguredError when Mailgun's signing key is not set. */
  requireMailgun(): MailgunSignature {
    if (this.#mailgun === undefined) throw new NotConfiguredError('MAILGUN_WEBHOOK_SIGNING_KEY');
    return this.#mailgun;
  }

  /** A SendGrid batch: verified over the raw body, then every event it can match recorded. */
  async sendgrid(post: SendgridPost): Promise<ProviderEventsAnswer> {
    this.requireSendgrid().verify(post.timestamp, post.signature, post.body);
    let json: unknown;
    try {
      json = JSON.parse(post.body.toString('utf8'));
    } catch {
      throw new MalformedBodyError('The body is not valid JSON.');
    }
    const batch = parseOrThrow(sendgridBatchSchema, json);
    const events = batch.map((raw) => sendgridEvent(raw, this.config.mailDomain));
    return this.record('sendgrid', batch.length, events);
  }

  /** A Mailgun event: signature, timestamp and token checked, then recorded. */
  async mailgun(body: unknown): Promise<ProviderEventsAnswer> {
    const verifier = this.requireMailgun();
    const signature = mailgunSignatureSchema.safeParse((body as { signature?: unknown } | null)?.signature);
    if (!signature.success) throw new InvalidSignatureError('The request is not signed: send signature {timestamp, token, signature} as Mailgun does.');
    verifier.verify(signature.data);
    // Signed but unreadable: answered 200 and counted as ignored, as SendGrid's odd events are, so Mailgun does not retry it.
    const eventData = mailgunEventDataSchema.safeParse((body as Record<string, unknown>)['event-data']);
    await this.#mailgunTokens.claim(signature.data.token);
    try {
      return await this.record('mailgun', 1, [eventData.success ? mailgunEvent(eventData.data, this.config.mailDomain) : undefined]);
    } catch (error) {
      await this.#mailgunTokens.release(signature.data.token);
      throw error;
    }
  }

  private async record(provider: EventProvider, received: number, read: readonly (ProviderEventInput | undefined)[]): Promise<ProviderEventsAnswer> {
    const readable = read.filter((event): event is ProviderEventInput => event !== undefined);
    const taken = dedupe(readable);
    let matched = 0;
    let recorded = 0;
    for (let start = 0; start < taken.length; start += CHUNK) {
      const chunk = taken.slice(start, start + CHUNK);
      const outcome = await retryOnDeadlock(() => recordProviderEvents(this.db, provider, chunk, { bounceSuppressionDays: this.config.engagement.bounceSuppressionDays }));
      matched += outcome.matched;
      recorded += outcome.recorded;
      this.dispatch(outcome.webhookDeliveries);
    }
    const duplicates = readable.length - taken.length + matched - recorded;
    const answer = { received, recorded, duplicates, unmatched: taken.length - matched, ignored: received - readable.length };
    this.logger.info({ provider, ...answer }, 'provider events recorded');
    return answer;
  }
}

/**
 * Two posts about the same messages at once (a provider's retry overlapping its next batch) may
 * lock them in opposite orders; Postgres then aborts one statement, which changed nothing and
 * is simply run again.
 */
async function retryOnDeadlock<T>(run: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= tries || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}

/** The same event twice in one post is one event. */
function dedupe(events: readonly ProviderEventInput[]): ProviderEventInput[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (seen.has(event.providerEventId)) return false;
    seen.add(event.providerEventId);
    return true;
  });
}

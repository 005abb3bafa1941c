import { randomUUID } from 'node:crypto';
import type { Db } from '../database';
import type { AttemptRecord, Claim } from '../lifecycle/attempt-rows';
import { claimMessages, liveLeaseEnd } from '../lifecycle/claim';
import { type Failure, markFailed } from '../lifecycle/mark-failed';
import { markRetrying } from '../lifecycle/mark-retrying';
import { markSent, type SentOutcome } from '../lifecycle/mark-sent';
import { markUndeliverable } from '../lifecycle/mark-undeliverable';
import { renewLeases } from '../lifecycle/renew-leases';
import type { MessageToSend } from '../lifecycle/send-columns';
import type { MailAttachment } from '../mail/outgoing-mail';
import { Coalescer } from '../platform/coalescer';

/** A message taken for sending, with the claim its outcome must present. */
export interface ClaimedMessage {
  readonly message: MessageToSend;
  readonly claim: Claim;
}

/**
 * Claims, lease renewals and sent-marks of concurrent jobs are written together (group
 * commit): one UPDATE for all that arrive while the previous one is in flight, rather than
 * one each. One statement of each kind in flight at a time: the next batch gathers
 * everything that arrived meanwhile, so batches are larger and Postgres does less work per message.
 */
const GROUP_COMMIT = { maxInFlight: 1, maxBatch: 100 } as const;

/** The worker's side of the lifecycle: the transitions a delivery makes, batched where they are hot. */
export class DeliveryLedger {
  readonly #claims = new Coalescer<{ id: string; token: string; retryCount: number }, MessageToSend | undefined>(
    (requests) => this.#claimMany(requests),
    GROUP_COMMIT,
  );
  readonly #sent = new Coalescer<SentOutcome, boolean>(async (outcomes) => {
    const { written, webhookDeliveries } = await markSent(this.db, outcomes);
    this.onWebhookDeliveries(webhookDeliveries);
    return outcomes.map((outcome) => written.has(outcome.id));
  }, GROUP_COMMIT);
  readonly #renewals = new Coalescer<Claim, boolean>(async (claims) => {
    const held = await renewLeases(this.db, claims, this.leaseMs);
    return claims.map((claim) => held.has(claim.id));
  }, GROUP_COMMIT);

  constructor(
    private readonly db: Db,
    readonly leaseMs: number,
    /** Told the webhook deliveries an outcome wrote, to enqueue them. */
    private readonly onWebhookDeliveries: (ids: readonly string[]) => void = () => undefined,
  ) {}

  /** Takes a message for sending under a fresh claim; undefined when it is someone else's or finished. */
  async claim(id: string, retryCount: number): Promise<ClaimedMessage | undefined> {
    const token = randomUUID();
    const message = await this.#claims.submit({ id, token, retryCount });
    return message === undefined ? undefined : { message, claim: { id, token } };
  }

  /** A duplicate id in one batch gets no row: two jobs for one message must not both claim it. */
  async #claimMany(requests: readonly { id: string; token: string; retryCount: number }[]): Promise<(MessageToSend | undefined)[]> {
    const firstById = new Map<string, number>();
    requests.forEach((request, index) => {
      if (!firstById.has(request.id)) firstById.set(request.id, index);
    });
    const unique = [...firstById.values()].map((index) => requests[index]).filter((r) => r !== undefined);
    const rows = await claimMessages(
      this.db,
      unique.map((r) => ({ ...r, leaseMs: this.leaseMs })),
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return requests.map((request, index) => (firstById.get(request.id) === index ? byId.get(request.id) : undefined));
  }

  /** When another claim's live lease holds the message, the time it ends. */
  /** The files of a message, in order, byte for byte as accepted. */
  async attachments(messageId: string): Promise<MailAttachment[]> {
    const rows = await this.db
      .selectFrom('message_attachments')
      .select(['filename', 'content_type', 'content_id', 'content'])
      .where('message_id', '=', messageId)
      .orderBy('position')
      .execute();
    return rows.map((row) => ({
      filename: row.filename,
      contentType: row.content_type,
      content: row.content,
      ...(row.content_id === null ? {} : { contentId: row.content_id }),
    }));
  }

  leaseEnd(id: string): Promise<Date | undefined> {
    return liveLeaseEnd(this.db, id);
  }

  /** Extends the claim's lease; false when the claim no longer holds. */
  renew(claim: Claim): Promise<boolean> {
    return this.#renewals.submit(claim);
  }

  /** Fails the message before any provider call: every recipient is undeliverable. False when the claim no longer held. */
  async markUndeliverable(claim: Claim, attempt: number, reasons: Readonly<Record<string, string>>): Promise<boolean> {
    const { written, webhookDeliveries } = await markUndeliverable(this.db, claim, attempt, reasons);
    this.onWebhookDeliveries(webhookDeliveries);
    return written;
  }

  /** False when the claim no longer held and nothing was written. */
  markSent(claim: Claim, provider: string, providerMessageId: string, attempt: AttemptRecord): Promise<boolean> {
    return this.#sent.submit({ ...claim, provider, providerMessageId, attempt });
  }

  markRetrying(claim: Claim, error: string, attempt: AttemptRecord): Promise<boolean> {
    return markRetrying(this.db, claim, error, attempt);
  }

  async markFailed(claim: Claim, failure: Failure, attempt: AttemptRecord): Promise<boolean> {
    const { written, webhookDeliveries } = await markFailed(this.db, claim, failure, attempt);
    this.onWebhookDeliveries(webhookDeliveries);
    return written;
  }
}

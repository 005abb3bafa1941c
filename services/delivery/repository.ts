import { sql } from 'kysely';
import type { Db } from '../platform/db';
import type { ContactMessageRow, MessageKind, NotificationRow } from '../platform/database';

export type MessageRow = { kind: 'contact'; row: ContactMessageRow } | { kind: 'notification'; row: NotificationRow };

export interface AttemptRecord {
  readonly provider: string;
  readonly outcome: 'sent' | 'transient' | 'permanent' | 'skipped';
  readonly error?: string;
  readonly durationMs: number;
}

/** Statuses a worker may take a message from. */
export const CLAIMABLE = ['pending', 'queued', 'scheduled'] as const;

export function tableOf(kind: MessageKind): 'contact_messages' | 'notifications' {
  return kind === 'contact' ? 'contact_messages' : 'notifications';
}

/** The lifecycle statements shared by both message tables (DESIGN section 4). */
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes a message for sending: one UPDATE that only succeeds for a claimable row
   * or a `sending` row whose lease ran out (its worker died). No row: someone else
   * has it, or it is finished.
   */
  async claim(kind: MessageKind, id: string, leaseMs: number, retryCount: number): Promise<MessageRow | undefined> {
    const result = await sql<ContactMessageRow & NotificationRow>`
      update ${sql.table(tableOf(kind))}
         set status = 'sending', lease_until = now() + ${`${leaseMs} milliseconds`}::interval,
             retry_count = ${retryCount}, updated_at = now()
       where id = ${id}
         and (status in ('pending', 'queued', 'scheduled') or (status = 'sending' and lease_until < now()))
      returning *`.execute(this.db);
    const row = result.rows[0];
    if (row === undefined) return undefined;
    return kind === 'contact' ? { kind, row } : { kind, row };
  }

  /** When a message is held by a live lease, the time the lease ends; undefined otherwise. */
  async leaseEnd(kind: MessageKind, id: string): Promise<Date | undefined> {
    const result = await sql<{ lease_until: Date }>`
      select lease_until from ${sql.table(tableOf(kind))}
       where id = ${id} and status = 'sending' and lease_until >= now()`.execute(this.db);
    return result.rows[0]?.lease_until;
  }

  async markSent(kind: MessageKind, id: string, provider: string, providerMessageId: string): Promise<void> {
    await sql`
      update ${sql.table(tableOf(kind))}
         set status = 'sent', sent_at = now(), provider = ${provider}, provider_message_id = ${providerMessageId},
             error_message = null, lease_until = null, updated_at = now()
       where id = ${id} and status = 'sending'`.execute(this.db);
  }

  /** Back to `queued` to wait for BullMQ's next try. */
  async markRetrying(kind: MessageKind, id: string, error: string): Promise<void> {
    await sql`
      update ${sql.table(tableOf(kind))}
         set status = 'queued', error_message = ${error}, lease_until = null, updated_at = now()
       where id = ${id} and status = 'sending'`.execute(this.db);
  }

  async markFailed(kind: MessageKind, id: string, error: string): Promise<void> {
    await sql`
      update ${sql.table(tableOf(kind))}
         set status = 'failed', error_message = ${error}, lease_until = null, updated_at = now()
       where id = ${id} and status = 'sending'`.execute(this.db);
  }

  async recordAttempts(kind: MessageKind, id: string, attempt: number, tries: readonly AttemptRecord[]): Promise<void> {
    if (tries.length === 0) return;
    await this.db
      .insertInto('delivery_attempts')
      .values(
        tries.map((t) => ({
          message_kind: kind,
          message_id: id,
          attempt,
          provider: t.provider,
          outcome: t.outcome,
          error: t.error ?? null,
          duration_ms: Math.round(t.durationMs),
        })),
      )
      .execute();
  }
}

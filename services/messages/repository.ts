import { sql } from 'kysely';
import type { Db } from '../database';
import { UUID_PATTERN } from '../domain/identifiers';
import type { MessageKind } from '../domain/message-kinds';
import type { MessageStatus } from '../domain/message-statuses';
import type { AcceptedMessage } from '../lifecycle/accept';
import type { DeliveryAttemptRow, MessageEventRow, MessageRow } from './tables';

export interface ListFilter {
  readonly kind: MessageKind;
  readonly clientId?: string;
  readonly status?: MessageStatus;
  readonly provider?: string;
  readonly tag?: string;
  readonly templateId?: string;
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
  /** A message id, or a recipient address, exactly. */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Reads of the message record, any kind. Writes belong to lifecycle/. */
export class MessageRepository {
  constructor(private readonly db: Db) {}

  /** The stored rows for idempotency keys of one client: what a replay answers with. */
  async findByKeys(clientId: string, keys: readonly string[]): Promise<AcceptedMessage[]> {
    if (keys.length === 0) return [];
    return this.db
      .selectFrom('messages')
      .select(['id', 'kind', 'client_id', 'idempotency_key', 'request_hash', 'status', 'send_at', 'created_at', 'priority', 'suppression_reason'])
      .where('client_id', '=', clientId)
      .where('idempotency_key', 'in', [...keys])
      .execute();
  }

  /** One message of a kind, when `clientId` (if given) owns it. */
  async findById(kind: MessageKind, id: string, clientId?: string): Promise<MessageRow | undefined> {
    let query = this.db.selectFrom('messages').selectAll().where('id', '=', id).where('kind', '=', kind);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    return query.executeTakeFirst();
  }

  async list(filter: ListFilter): Promise<{ count: number; rows: MessageRow[] }> {
    let query = this.db.selectFrom('messages').where('kind', '=', filter.kind);
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.provider !== undefined) query = query.where('provider', '=', filter.provider);
    if (filter.tag !== undefined) query = query.where(sql<boolean>`tags @> array[${filter.tag}]::text[]`);
    if (filter.templateId !== undefined) query = query.where('template_id', '=', filter.templateId);
    if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter);
    if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore);
    if (filter.search !== undefined) {
      const search = filter.search;
      const address = search.toLowerCase();
      query = query.where((eb) =>
        eb.or([
          ...(UUID_PATTERN.test(search) ? [eb('id', '=', search.toLowerCase())] : []),
          eb(sql<boolean>`exists (select 1 from unnest("to") as recipient where lower(recipient) = ${address})`, '=', true),
          eb(sql<string>`lower(contact_email)`, '=', address),
        ]),
      );
    }
    const [counted, rows] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
    ]);
    return { count: counted.count, rows };
  }

  async attempts(messageId: string): Promise<DeliveryAttemptRow[]> {
    return this.db.selectFrom('delivery_attempts').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();
  }

  /** The files of a message without their bytes. */
  async attachments(messageId: string) {
    return this.db
      .selectFrom('message_attachments')
      .select(['position', 'filename', 'content_type', 'content_id', 'size', 'sha256'])
      .where('message_id', '=', messageId)
      .orderBy('position')
      .execute();
  }

  /** One file of a message, bytes included. */
  async attachment(messageId: string, position: number) {
    return this.db
      .selectFrom('message_attachments')
      .select(['filename', 'content_type', 'content'])
      .where('message_id', '=', messageId)
      .where('position', '=', position)
      .executeTakeFirst();
  }

  async events(messageId: string): Promise<MessageEventRow[]> {
    return this.db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
  }
}

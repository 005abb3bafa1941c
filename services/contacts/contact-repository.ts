import { sql } from 'kysely';
import type { Db } from '../database';
import { ConflictError } from '../domain/errors';
import type { ContactRow } from './tables';

/** One row of an import, validated. */
export interface ContactUpsert {
  readonly email: string;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly attributes: Record<string, unknown>;
}

export interface ContactFilter {
  readonly clientId: string | undefined;
  readonly email?: string;
  readonly subscribed?: boolean;
  readonly attributes: Readonly<Record<string, string>>;
  readonly limit: number;
  readonly offset: number;
}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

/** Contacts of each client, unique by email within the client. */
export class ContactRepository {
  constructor(private readonly db: Db) {}

  async create(clientId: string, contact: ContactUpsert & { unsubscribed: boolean }): Promise<ContactRow> {
    try {
      return await this.db
        .insertInto('contacts')
        .values({
          client_id: clientId,
          email: contact.email,
          first_name: contact.first_name,
          last_name: contact.last_name,
          attributes: JSON.stringify(contact.attributes),
          unsubscribed_at: contact.unsubscribed ? new Date() : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('A contact with this email already exists.');
      throw error;
    }
  }

  async findById(id: string, clientId: string | undefined): Promise<ContactRow | undefined> {
    let query = this.db.selectFrom('contacts').selectAll().where('id', '=', id);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    return query.executeTakeFirst();
  }

  async findByEmail(clientId: string, email: string): Promise<ContactRow | undefined> {
    return this.db.selectFrom('contacts').selectAll().where('client_id', '=', clientId).where('email', '=', email.toLowerCase()).executeTakeFirst();
  }

  async update(
    id: string,
    clientId: string | undefined,
    changes: { email?: string; first_name?: string | null; last_name?: string | null; attributes?: Record<string, unknown>; unsubscribed?: boolean },
  ): Promise<ContactRow | undefined> {
    try {
      let query = this.db
        .updateTable('contacts')
        .set({
          updated_at: new Date(),
          ...(changes.email === undefined ? {} : { email: changes.email }),
          ...(changes.first_name === undefined ? {} : { first_name: changes.first_name }),
          ...(changes.last_name === undefined ? {} : { last_name: changes.last_name }),
          ...(changes.unsubscribed === undefined ? {} : { unsubscribed_at: changes.unsubscribed ? sql<Date>`coalesce(unsubscribed_at, now())` : null }),
        })
        .where('id', '=', id);
      if (changes.attributes !== undefined) {
        // Merged, and keys set to null removed: a PATCH names only what changes.
        query = query.set({ attributes: sql<string>`jsonb_strip_nulls(attributes || ${JSON.stringify(changes.attributes)}::jsonb)` });
      }
      if (clientId !== undefined) query = query.where('client_id', '=', clientId);
      return await query.returningAll().executeTakeFirst();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('A contact with this email already exists.');
      throw error;
    }
  }

  async delete(id: string, clientId: string | undefined): Promise<boolean> {
    let query = this.db.deleteFrom('contacts').where('id', '=', id);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    const result = await query.executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(filter: ContactFilter): Promise<{ count: number; rows: ContactRow[] }> {
    let query = this.db.selectFrom('contacts');
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
    if (filter.email !== undefined) query = query.where('email', '=', filter.email.toLowerCase());
    if (filter.subscribed !== undefined) query = query.where('unsubscribed_at', filter.subscribed ? 'is' : 'is not', null);
    // Compared as text, so `attribute.tier=2` finds a tier stored as the number 2 too.
    for (const [key, value] of Object.entries(filter.attributes)) query = query.where(sql<boolean>`attributes ->> ${key} = ${value}`);
    const [counted, rows] = await Promise.all([
      query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
    ]);
    return { count: Number(counted.count), rows };
  }

  /**
   * Upserts many contacts by email in one statement: new ones are created, known ones get the
   * names given and their attributes merged. Emails must be distinct within the call.
   * Answers how many were created and how many updated.
   */
  async upsertMany(clientId: string, contacts: readonly ContactUpsert[]): Promise<{ created: number; updated: number }> {
    if (contacts.length === 0) return { created: 0, updated: 0 };
    const result = await sql<{ created: string; updated: string }>`
      with upserted as (
        insert into contacts (client_id, email, first_name, last_name, attributes)
        select ${clientId}, r.email, r.first_name, r.last_name, coalesce(r.attributes, '{}')
          from json_to_recordset(${JSON.stringify(contacts)}::json) as r(email text, first_name text, last_name text, attributes jsonb)
        on conflict (client_id, email) do update
          set first_name = coalesce(excluded.first_name, contacts.first_name),
              last_name = coalesce(excluded.last_name, contacts.last_name),
              attributes = contacts.attributes || excluded.attributes,
              updated_at = now()
        returning (xmax = 0) as inserted
      )
      select count(*) filter (where inserted) as created, count(*) filter (where not inserted) as updated from upserted`.execute(this.db);
    const row = result.rows[0];
    return { created: Number(row?.created ?? 0), updated: Number(row?.updated ?? 0) };
  }

  /** The latest messages sent to a contact, with their events. */
  async history(contactId: string, limit = 100) {
    const messages = await this.db
      .selectFrom('messages')
      .select(['id', 'kind', 'status', 'subject', 'template_id', 'template_version', 'created_at', 'sent_at'])
      .where('contact_id', '=', contactId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const events =
      messages.length === 0
        ? []
        : await this.db
            .selectFrom('message_events')
            .select(['message_id', 'type', 'at', 'data'])
            .where('message_id', 'in', messages.map((m) => m.id))
            .orderBy('id')
            .execute();
    return { messages, events };
  }
}

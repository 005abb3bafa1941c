import type { Principal } from '../auth/scopes';
import { NotFoundError } from '../domain/errors';
import { iso, visibleClient } from '../messages/views';
import type { ContactRepository, ContactUpsert } from './contact-repository';
import type { ParsedImport } from './contact-import';
import type { ContactListQuery, ContactView, CreateContactRequest, ImportResult, UpdateContactRequest } from './schema';
import type { ContactRow } from './tables';

/** Rows upserted per statement: big enough to be cheap per row, small enough for one JSON parameter. */
const IMPORT_BATCH = 5000;
const MAX_REPORTED_REJECTIONS = 1000;

export function toContactView(row: ContactRow): ContactView {
  return {
    id: row.id,
    email: row.email,
    first_name: row.first_name,
    last_name: row.last_name,
    attributes: row.attributes,
    subscribed: row.unsubscribed_at === null,
    unsubscribed_at: iso(row.unsubscribed_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** What a template sees of a contact under `contact.`: its attributes, then its own fields. */
export function contactVariables(row: ContactRow): Record<string, unknown> {
  return { ...row.attributes, email: row.email, first_name: row.first_name, last_name: row.last_name };
}

const notFound = () => new NotFoundError('No contact with this id.');

/** Contacts of each client: CRUD, bulk import, and the history of what was sent to them. */
export class ContactService {
  constructor(private readonly repository: ContactRepository) {}

  async create(principal: Principal, input: CreateContactRequest): Promise<ContactView> {
    const row = await this.repository.create(principal.clientId, {
      email: input.email,
      first_name: input.first_name ?? null,
      last_name: input.last_name ?? null,
      attributes: input.attributes ?? {},
      unsubscribed: input.subscribed === false,
    });
    return toContactView(row);
  }

  /** The contact `principal` may see (its own; any for an admin). */
  async find(principal: Principal, id: string): Promise<ContactRow> {
    const row = await this.repository.findById(id, visibleClient(principal));
    if (row === undefined) throw notFound();
    return row;
  }

  /** The contact of exactly this client (a send names its own contacts, admin or not). */
  async findOwned(clientId: string, id: string): Promise<ContactRow> {
    const row = await this.repository.findById(id, clientId);
    if (row === undefined) throw notFound();
    return row;
  }

  /** The client's contact with this address, if any: a send to it is linked to it. */
  findByEmail(clientId: string, email: string): Promise<ContactRow | undefined> {
    return this.repository.findByEmail(clientId, email);
  }

  async get(principal: Principal, id: string): Promise<ContactView> {
    return toContactView(await this.find(principal, id));
  }

  async update(principal: Principal, id: string, input: UpdateContactRequest): Promise<ContactView> {
    const { subscribed, ...changes } = input;
    const row = await this.repository.update(id, visibleClient(principal), { ...changes, ...(subscribed === undefined ? {} : { unsubscribed: !subscribed }) });
    if (row === undefined) throw notFound();
    return toContactView(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.repository.delete(id, visibleClient(principal)))) throw notFound();
  }

  async list(principal: Principal, query: ContactListQuery) {
    const { count, rows } = await this.repository.list({
      clientId: visibleClient(principal),
      ...(query.email === undefined ? {} : { email: query.email }),
      ...(query.subscribed === undefined ? {} : { subscribed: query.subscribed === 'true' }),
      attributes: query.attributes,
      limit: query.page_size,
      offset: (query.page - 1) * query.page_size,
    });
    const hasNext = query.page * query.page_size < count;
    const link = (page: number) => `/api/contacts?page=${page}&page_size=${query.page_size}`;
    return { count, next: hasNext ? link(query.page + 1) : null, previous: query.page > 1 ? link(query.page - 1) : null, results: rows.map(toContactView) };
  }

  /** Upserts the valid rows of an import by email, a few thousand per statement. */
  async import(principal: Principal, parsed: ParsedImport): Promise<ImportResult> {
    let created = 0;
    let updated = 0;
    // In address order: every import locks rows in the same order, so two at once cannot deadlock,
    // and neighbouring keys share index pages.
    const rows = [...parsed.rows].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    const batches: ContactUpsert[][] = [];
    for (let start = 0; start < rows.length; start += IMPORT_BATCH) batches.push(rows.slice(start, start + IMPORT_BATCH));
    // Two statements at a time keep two Postgres backends busy; the emails are distinct, so they never wait on each other.
    const upsertNext = async (): Promise<void> => {
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        const counts = await this.repository.upsertMany(principal.clientId, batch);
        created += counts.created;
        updated += counts.updated;
      }
    };
    await Promise.all([upsertNext(), upsertNext()]);
    return {
      received: parsed.received,
      created,
      updated,
      rejected: parsed.rejections.length,
      rejections: parsed.rejections.slice(0, MAX_REPORTED_REJECTIONS),
    };
  }

  /** The messages sent to a contact, newest first, each with its events. */
  async history(principal: Principal, id: string) {
    const contact = await this.find(principal, id);
    const { messages, events } = await this.repository.history(contact.id);
    return {
      contact: toContactView(contact),
      messages: messages.map((message) => ({
        id: message.id,
        kind: message.kind,
        status: message.status,
        subject: message.subject,
        template_id: message.template_id,
        template_version: message.template_version,
        created_at: iso(message.created_at),
        sent_at: iso(message.sent_at),
        events: events.filter((event) => event.message_id === message.id).map((event) => ({ type: event.type, at: iso(event.at), data: event.data })),
      })),
    };
  }
}

import { sql } from 'kysely';
import type { Db } from '../database';
import { ConflictError } from '../domain/errors';
import type { TemplateRow, TemplateVersionRow } from './tables';
import type { TemplateEngine } from './template-engines';

/** A version about to be written: what was saved and what it compiled to. */
export interface NewVersion {
  readonly engine: TemplateEngine;
  readonly subject: string;
  readonly source: string | null;
  readonly html: string | null;
  readonly text: string | null;
  readonly variables: readonly string[];
  readonly required_variables: readonly string[];
  readonly created_by: string;
}

/** The template a send names: which one and which version to render. */
export interface TemplateRef {
  readonly id: string;
  readonly version: number;
}

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;

// What a client sees under a name: its own template, or else a shared one (client_id null).
const ownerKey = (clientId: string | null) => clientId ?? '';

/** Templates and their versions. Versions are inserted, never updated. */
export class TemplateRepository {
  constructor(private readonly db: Db) {}

  /** Creates a template with its version 1; ConflictError when the owner already has the name. */
  async create(clientId: string | null, name: string, description: string | null, version: NewVersion): Promise<{ template: TemplateRow; version: TemplateVersionRow }> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const template = await trx.insertInto('templates').values({ client_id: clientId, name, description, active_version: 1 }).returningAll().executeTakeFirstOrThrow();
        const row = await trx
          .insertInto('template_versions')
          .values({ ...version, variables: [...version.variables], required_variables: [...version.required_variables], template_id: template.id, version: 1 })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { template, version: row };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A template named "${name}" already exists.`);
      throw error;
    }
  }

  /** Adds a version and makes it active, under a row lock so two saves get two numbers. */
  async addVersion(templateId: string, description: string | null | undefined, version: NewVersion): Promise<{ template: TemplateRow; version: TemplateVersionRow }> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('templates').select('active_version').where('id', '=', templateId).forUpdate().executeTakeFirstOrThrow();
      const latest = await trx
        .selectFrom('template_versions')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('template_id', '=', templateId)
        .executeTakeFirst();
      const next = Math.max(current.active_version, Number(latest?.version ?? 0)) + 1;
      const row = await trx
        .insertInto('template_versions')
        .values({ ...version, variables: [...version.variables], required_variables: [...version.required_variables], template_id: templateId, version: next })
        .returningAll()
        .executeTakeFirstOrThrow();
      const template = await trx
        .updateTable('templates')
        .set({ active_version: next, updated_at: new Date(), ...(description === undefined ? {} : { description }) })
        .where('id', '=', templateId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { template, version: row };
    });
  }

  /** The template `clientId` sees under `name` (its own before a shared one), archived or not. */
  async findByName(clientId: string, name: string, options: { includeArchived?: boolean } = {}): Promise<TemplateRow | undefined> {
    let query = this.db
      .selectFrom('templates')
      .selectAll()
      .where('name', '=', name)
      .where(sql<string>`coalesce(client_id, '')`, 'in', [ownerKey(clientId), ''])
      .orderBy(sql`client_id is null`)
      .limit(1);
    if (options.includeArchived !== true) query = query.where('archived_at', 'is', null);
    return query.executeTakeFirst();
  }

  /**
   * The hot path of sends: the id and version each lookup names (undefined when none), in one
   * indexed read for all of them, so concurrent sends share a statement.
   */
  async refsOf(lookups: readonly { clientId: string; name: string; version: number | undefined }[]): Promise<(TemplateRef | undefined)[]> {
    if (lookups.length === 0) return [];
    const payload = JSON.stringify(lookups.map((lookup, i) => ({ i, client: ownerKey(lookup.clientId), name: lookup.name })));
    const result = await sql<{ i: number; id: string; active_version: number }>`
      select distinct on (q.i) q.i, t.id, t.active_version
        from json_to_recordset(${payload}::json) as q(i int, client text, name text)
        join templates t on t.name = q.name and coalesce(t.client_id, '') in (q.client, '') and t.archived_at is null
       order by q.i, t.client_id is null`.execute(this.db);
    const found = new Map(result.rows.map((row) => [row.i, row]));
    return lookups.map((lookup, i) => {
      const row = found.get(i);
      return row === undefined ? undefined : { id: row.id, version: lookup.version ?? row.active_version };
    });
  }

  async list(clientId: string | undefined): Promise<TemplateRow[]> {
    let query = this.db.selectFrom('templates').selectAll().where('archived_at', 'is', null).orderBy('name').orderBy('client_id');
    if (clientId !== undefined) query = query.where(sql<string>`coalesce(client_id, '')`, 'in', [clientId, '']);
    return query.limit(1000).execute();
  }

  async version(templateId: string, version: number): Promise<TemplateVersionRow | undefined> {
    return this.db.selectFrom('template_versions').selectAll().where('template_id', '=', templateId).where('version', '=', version).executeTakeFirst();
  }

  async versions(templateId: string): Promise<TemplateVersionRow[]> {
    return this.db.selectFrom('template_versions').selectAll().where('template_id', '=', templateId).orderBy('version', 'desc').execute();
  }

  async archive(templateId: string): Promise<void> {
    await this.db.updateTable('templates').set({ archived_at: new Date(), updated_at: new Date() }).where('id', '=', templateId).where('archived_at', 'is', null).execute();
  }
}

import type { ColumnType, Generated, Selectable } from 'kysely';
import type { TemplateEngine } from './template-engines';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A named template of one client (or shared, client_id null); its content lives in versions. */
export interface TemplatesTable {
  id: Generated<string>;
  client_id: string | null;
  name: string;
  description: string | null;
  active_version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  archived_at: NullableTimestamp;
}

/** One saved state of a template; never updated once written. */
export interface TemplateVersionsTable {
  template_id: string;
  version: number;
  engine: TemplateEngine;
  subject: string;
  /** What was saved for an mjml template; html holds what it compiled to. */
  source: string | null;
  html: string | null;
  text: string | null;
  variables: string[];
  /** The variables used outside conditional and loop blocks: a send without one is refused. */
  required_variables: string[];
  created_by: string;
  created_at: Timestamp;
}

export interface TemplateTables {
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
}

export type TemplateRow = Selectable<TemplatesTable>;
export type TemplateVersionRow = Selectable<TemplateVersionsTable>;

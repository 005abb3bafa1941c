import type { Kysely } from 'kysely';
import type { AuthTables } from './auth/tables';
import type { ContactTables } from './contacts/tables';
import type { MessageTables } from './messages/tables';
import type { TemplateTables } from './templates/tables';

/** Every table Herald has, assembled from the capabilities that own them. */
export interface Database extends MessageTables, AuthTables, TemplateTables, ContactTables {}

export type Db = Kysely<Database>;

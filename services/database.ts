import type { Kysely } from 'kysely';
import type { AccountTables } from './accounts/tables';
import type { AuthTables } from './auth/tables';
import type { ContactTables } from './contacts/tables';
import type { IdentityTables } from './identities/tables';
import type { EngagementTables } from './engagement/tables';
import type { MessageTables } from './messages/tables';
import type { SuppressionTables } from './suppressions/tables';
import type { TemplateTables } from './templates/tables';
import type { ValidationTables } from './validation/tables';
import type { WebhookTables } from './webhooks/tables';

/** Every table Herald has, assembled from the capabilities that own them. */
export interface Database extends MessageTables, AuthTables, AccountTables, WebhookTables, ValidationTables, TemplateTables, ContactTables, SuppressionTables, IdentityTables {}
export interface Database extends MessageTables, AuthTables, AccountTables, WebhookTables, ValidationTables, TemplateTables, ContactTables, SuppressionTables, EngagementTables {}

export type Db = Kysely<Database>;

import type { Migration, MigrationProvider } from 'kysely';
import * as coreTables from './20261122000000_core_tables';
import * as oneMessageRecord from './20261130000000_one_message_record';
import * as templates from './20261201000000_templates';
import * as validation from './20261202000000_validation';
import * as webhooks from './20261203000000_webhooks';
import * as accounts from './20261204000000_accounts';
import * as senderIdentities from './20261205000000_sender_identities';
import * as suppressions from './20261206000000_suppressions';
import * as providerEvents from './20261208000000_provider_events';
import * as tracking from './20261207000000_tracking';

// Listed here rather than read from disk, so the same provider works from ts sources and from dist/.
const migrations: Record<string, Migration> = {
  '20261122000000_core_tables': coreTables,
  '20261130000000_one_message_record': oneMessageRecord,
  '20261201000000_templates': templates,
  '20261202000000_validation': validation,
  '20261203000000_webhooks': webhooks,
  '20261204000000_accounts': accounts,
  '20261205000000_sender_identities': senderIdentities,
  '20261206000000_suppressions': suppressions,
  '20261208000000_provider_events': providerEvents,
  '20261207000000_tracking': tracking,
};

/** Every Herald migration, keyed by its timestamp-prefixed name. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

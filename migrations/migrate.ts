import { type Kysely, Migrator, sql } from 'kysely';
import { migrationProvider } from './index';

// Any constant shared by all replicas; it serialises concurrent boots on one database.
const MIGRATION_LOCK_KEY = 0x4845524c; // "HERL"

export interface MigrationOutcome {
  readonly applied: string[];
}

/** Runs pending migrations (up to `target` when given) under a session advisory lock, so concurrent replicas do not race. */
export async function migrateToLatest<Database>(db: Kysely<Database>, target?: string): Promise<MigrationOutcome> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
    try {
      const migrator = new Migrator({ db: connection, provider: migrationProvider, allowUnorderedMigrations: true });
      const { error, results } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
      if (error !== undefined) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
    }
  });
}

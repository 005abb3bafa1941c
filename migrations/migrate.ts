import { Migrator, sql } from 'kysely';
import { migrationProvider } from '../../migrations';
import type { Db } from './db';

// Any constant shared by all replicas; it serialises concurrent boots on one database.
const MIGRATION_LOCK_KEY = 0x4845524c; // "HERL"

export interface MigrationOutcome {
  readonly applied: string[];
}

/** Runs pending migrations under a session advisory lock, so concurrent replicas do not race. */
export async function migrateToLatest(db: Db): Promise<MigrationOutcome> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
    try {
      const migrator = new Migrator({ db: connection, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
    }
  });
}

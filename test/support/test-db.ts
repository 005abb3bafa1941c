import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Database, Db } from '../../services/database';
import { createDb } from '../../services/platform/db';
import { migrateToLatest } from '../../migrations/migrate';

/** The server the suite runs against; tests make their own database on it. */
export const TEST_SERVER_URL = process.env.HERALD_TEST_DATABASE_SERVER ?? 'postgres://root@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.HERALD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly db: Db;
  /** Drops the database; call in afterAll. */
  destroy(): Promise<void>;
}

/** Creates a fresh database owned by one test file, migrated to the latest (or to `migrateTo`, a migration's name). */
export async function createTestDatabase(options: { migrateTo?: string } = {}): Promise<TestDatabase> {
  const name = `herald_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = databaseUrl(name);
  const db = createDb<Database>({ url, max: 10 });
  await migrateToLatest(db, options.migrateTo);
  return {
    name,
    url,
    db,
    destroy: async () => {
      await db.destroy();
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** A queue prefix no other test uses; remove its keys with `flushPrefix`. */
export function uniqueQueuePrefix(): string {
  return `{herald-test-${randomUUID().slice(0, 8)}}`;
}

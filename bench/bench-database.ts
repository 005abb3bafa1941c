import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { ApiKeyRepository } from '../services/auth/api-key-repository';
import { ApiKeyService } from '../services/auth/api-keys';
import { createDb } from '../services/platform/db';
import { migrateToLatest } from '../migrations/migrate';
import { BASELINE_SCHEMA } from './baseline/schema';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The benchmark loads only this machine; any other host is refused. */
export function assertLocal(url: string, what: string): void {
  const host = new URL(url).hostname;
  if (!LOCAL_HOSTS.has(host)) throw new Error(`${what} must point at 127.0.0.1 for the benchmark, not ${host}`);
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database made for one benchmark run: Herald's migrations, the baseline's table and an API key. */
export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  /** A `notify:send` API key, so the benchmark authenticates as a real client would. */
  readonly apiKey: string;
  /** Empties the message tables between phases, so each starts from the same state. */
  truncate(): Promise<void>;
  /** Runs one query on the bench database. */
  query<R extends object>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  assertLocal(serverUrl, 'DATABASE_URL');
  const name = `herald_bench_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`create database ${name}`));
  const url = withDatabase(serverUrl, name);
  const db = createDb({ url, max: 2 });
  const client = new Client({ connectionString: url });
  try {
    await migrateToLatest(db);
    const created = await new ApiKeyService(new ApiKeyRepository(db)).create('bench', ['notify:send']);
    await client.connect();
    await client.query(BASELINE_SCHEMA);
    return {
      name,
      url,
      apiKey: created.key,
      truncate: async () => {
        // Cascade: tables of later capabilities (tracked_links, suppressions) refer to messages.
        await client.query('truncate messages, delivery_attempts, message_events, message_attachments, baseline_messages cascade');
      },
      query: async <R extends object>(text: string, values: unknown[] = []) => (await client.query<R>(text, values)).rows,
      drop: async () => {
        await client.end().catch(() => undefined);
        await onServer(serverUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    await onServer(serverUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    throw error;
  } finally {
    await db.destroy();
  }
}

/** Deletes every Redis key under a queue prefix (jobs, rate-limit counters, heartbeats). */
export async function flushPrefix(redisUrl: string, prefix: string): Promise<void> {
  assertLocal(redisUrl, 'REDIS_URL');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

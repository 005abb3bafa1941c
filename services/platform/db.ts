import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, types } from 'pg';

// bigint counts (count(*)) arrive as strings by default; our counts fit a JS number.
types.setTypeParser(types.builtins.INT8, (value: string) => Number(value));

export interface DbOptions {
  readonly url: string;
  readonly max?: number;
  /** Fail fast when Postgres is unreachable, so the API can answer 503 promptly. */
  readonly connectionTimeoutMs?: number;
  /** Settings every connection of the pool starts with (`-c name=value` at connect). */
  readonly sessionSettings?: Readonly<Record<string, string>>;
}

/** Opens a pooled Kysely instance over node-postgres, typed by the caller's database. */
export function createDb<Database>(options: DbOptions): Kysely<Database> {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 3000,
    idleTimeoutMillis: 30000,
    ...(options.sessionSettings === undefined
      ? {}
      : { options: Object.entries(options.sessionSettings).map(([name, value]) => `-c ${name}=${value}`).join(' ') }),
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** True when Postgres answers a trivial query. */
export async function pingDb<Database>(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

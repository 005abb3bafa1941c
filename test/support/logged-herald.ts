import { Writable } from 'node:stream';
import { type Infrastructure, openInfrastructure } from '../../services/app';
import { loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { createTestDatabase, type TestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from './test-db';

/** An all-in-one Herald (api infrastructure and a worker) logging at every level into `lines`, on its own database and queue prefix. */
export interface LoggedHerald {
  readonly database: TestDatabase;
  readonly sink: SmtpSink;
  readonly infra: Infrastructure;
  readonly runtime: WorkerRuntime;
  /** Every log line written, as written. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** Starts a LoggedHerald sending through a real SMTP sink; `env` adds to (or overrides) its configuration. */
export async function startLoggedHerald(env: Record<string, string>): Promise<LoggedHerald> {
  const [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    CONTACT_RATE_LIMIT: '1000',
    // Everything a process can log, at every level.
    LOG_LEVEL: 'trace',
    ...env,
  });
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const infra = openInfrastructure(config, createLogger({ level: config.logLevel, role: 'all' }, capture), { dbPoolSize: 5 });
  const runtime = await startWorkerRuntime(infra);
  return {
    database,
    sink,
    infra,
    runtime,
    lines,
    close: async () => {
      await runtime.stop();
      await infra.queue.obliterate({ force: true }).catch(() => undefined);
      await infra.close();
      await sink.close();
      await database.destroy();
    },
  };
}

// A quick look at the drain alone, for profiling: fills Herald's queue and the baseline's with the
// same number of messages, drains each with its worker, and prints deliveries/s and CPU ms per message.
//   npx ts-node --transpile-only bench/drain-probe.ts [--messages 5000] [--rounds 2] [--concurrency N] [--cpu-prof DIR]
// Uses the existing build (npm run build; tsc -p bench/tsconfig.baseline.json).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../services/platform/config';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { QUEUE_NAMES } from '../services/platform/queue';
import { BASELINE_QUEUE } from './baseline/schema';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { startCountingSink } from './counting-sink';
import { fillBaseline, fillHerald, measureDrain } from './harness';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '2' },
      concurrency: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'herald-node-arg': { type: 'string', multiple: true },
    },
  });
  const messages = Number(values.messages);
  const concurrency = values.concurrency ?? String(loadConfig({}).workerConcurrency);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefixes = { herald: `{herald-probe-${db.name.slice(-6)}}`, baseline: `{baseline-probe-${db.name.slice(-6)}}` };
  const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`];
  const sink = await startCountingSink();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const heraldQueue = new Queue(QUEUE_NAMES.deliveries, { connection: redis, prefix: prefixes.herald });
  const baselineQueue = new Queue(BASELINE_QUEUE, { connection: redis, prefix: prefixes.baseline });
  try {
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefixes.herald,
      PORT: String(apiPort),
      WORKER_HTTP_PORT: String(workerPort),
      MAIL_PROVIDERS: 'smtp',
      SMTP_URL: sink.url,
      WORKER_CONCURRENCY: concurrency,
      NOTIFY_RATE_LIMIT: '1000000000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    const api = startNodeProcess('herald api', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'api'], env, ROOT);
    await waitForHttp(`http://127.0.0.1:${apiPort}/livez`, api, 60_000);
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      await fillHerald(`http://127.0.0.1:${apiPort}`, db.apiKey, messages, `probe-${round}`);
      sink.reset();
      const worker = startNodeProcess('herald worker', [...HERALD_NODE_FLAGS, ...(values['herald-node-arg'] ?? []), ...profile, 'dist/services/main.js', 'serve', '--role', 'worker'], env, ROOT);
      const commits = async () => Number((await db.query<{ n: string }>('select xact_commit as n from pg_stat_database where datname = current_database()'))[0]?.n);
      let before = await commits();
      const herald = await measureDrain(sink, worker, heraldQueue, messages, async () => Number((await db.query<{ n: number }>("select count(*)::int as n from messages where status = 'sent'"))[0]?.n));
      const heraldCommits = (await commits()) - before;
      await worker.stop(10_000);
      await fillBaseline(db, baselineQueue, messages);
      sink.reset();
      const baselineWorker = startNodeProcess(
        'baseline worker',
        [...profile, 'dist/bench/baseline/worker.js'],
        { NODE_ENV: 'production', DATABASE_URL: db.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefixes.baseline, SMTP_URL: sink.url, CONCURRENCY: concurrency },
        ROOT,
      );
      before = await commits();
      const baseline = await measureDrain(sink, baselineWorker, baselineQueue, messages, async () => Number((await db.query<{ n: number }>("select count(*)::int as n from baseline_messages where status = 'sent'"))[0]?.n));
      const baselineCommits = (await commits()) - before;
      await baselineWorker.stop(10_000);
      for (const [name, r, n] of [['herald', herald, heraldCommits], ['baseline', baseline, baselineCommits]] as const) {
        const c = r.cpuMsPerMessage;
        console.log(`${name.padEnd(8)} ${r.deliveriesPerSec.toFixed(0).padStart(6)} /s  sink ${r.sinkCount}  cpu ms/msg: app ${c.app} pg ${c.postgres} redis ${c.redis} bench ${c.bench}  commits/msg ${(n / messages).toFixed(2)}`);
      }
      await db.truncate();
      await Promise.all([flushPrefix(redisUrl, prefixes.herald), flushPrefix(redisUrl, prefixes.baseline)]);
    }
  } finally {
    await killAllBenchProcesses();
    await Promise.allSettled([heraldQueue.close(), baselineQueue.close()]);
    redis.disconnect();
    await sink.close();
    await Promise.all([flushPrefix(redisUrl, prefixes.herald), flushPrefix(redisUrl, prefixes.baseline)]);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// The memory measurement of issue 19 alone: a fresh Herald api process, 20 concurrent 10 MB
// batches (1000 items of 10 KB), each 503 retried after its Retry-After; prints the api's peak RSS.
//   npx ts-node --transpile-only bench/big-batch-probe.ts [--concurrent 20] [--items 1000] [--item-bytes 10000]
//     [--main dist/services/main.js] [--env NAME=VALUE ...] [--node-arg ARG ...]
// Uses the existing build (npm run build).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { bigBatchMemory } from './big-batches';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrent: { type: 'string', default: '20' },
      items: { type: 'string', default: '1000' },
      'item-bytes': { type: 'string', default: '10000' },
      main: { type: 'string', default: 'dist/services/main.js' },
      env: { type: 'string', multiple: true },
      'node-arg': { type: 'string', multiple: true },
    },
  });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-probe-${db.name.slice(-6)}}`;
  try {
    const port = await freePort();
    const api = startNodeProcess(
      'herald api',
      [...HERALD_NODE_FLAGS, ...(values['node-arg'] ?? []), values.main, 'serve', '--role', 'api'],
      {
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: prefix,
        PORT: String(port),
        NOTIFY_RATE_LIMIT: '1000000000',
        LOG_LEVEL: 'warn',
        ...Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
      },
      ROOT,
    );
    await waitForHttp(`http://127.0.0.1:${port}/livez`, api, 60_000);
    const idleMb = Math.round(((api.peakRssBytes() ?? 0) / 1024 / 1024) * 10) / 10;
    const result = await bigBatchMemory({
      baseUrl: `http://127.0.0.1:${port}`,
      token: db.apiKey,
      api,
      load: { concurrent: Number(values.concurrent), items: Number(values.items), itemBytes: Number(values['item-bytes']) },
      keyPrefix: 'probe',
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${api.name} printed:\n${api.tail.join('\n')}`);
    });
    const [rows] = await db.query<{ n: number }>('select count(*)::int as n from notifications');
    console.log(JSON.stringify({ idlePeakRssMb: idleMb, ...result, rows: rows?.n }));
  } finally {
    await killAllBenchProcesses();
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

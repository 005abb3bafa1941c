// A quick look at the accept path alone, for profiling: starts a Herald api process and the baseline
// api, alternates short accept loads on them, and prints requests/s and CPU ms per request.
//   npx ts-node --transpile-only bench/accept-probe.ts [--seconds 8] [--rounds 2] [--cpu-prof DIR] [--herald-node-arg ARG]
// Uses the existing build (npm run build; tsc -p bench/tsconfig.baseline.json).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { perUnit, withCpu } from './harness';
import { acceptLoad } from './load';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      'cpu-prof': { type: 'string' },
      'herald-node-arg': { type: 'string', multiple: true },
    },
  });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-probe-${db.name.slice(-6)}}`;
  const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`];
  try {
    const [heraldPort, baselinePort, workerPort] = [await freePort(), await freePort(), await freePort()];
    const common = { NODE_ENV: 'production', DATABASE_URL: db.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix };
    const herald = startNodeProcess('herald api', [...HERALD_NODE_FLAGS, ...(values['herald-node-arg'] ?? []), ...profile, 'dist/services/main.js', 'serve', '--role', 'api'], {
      ...common,
      PORT: String(heraldPort),
      WORKER_HTTP_PORT: String(workerPort),
      NOTIFY_RATE_LIMIT: '1000000000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    }, ROOT);
    const baseline = startNodeProcess('baseline api', ['dist/bench/baseline/api.js'], { ...common, PORT: String(baselinePort) }, ROOT);
    await Promise.all([waitForHttp(`http://127.0.0.1:${heraldPort}/livez`, herald, 60_000), baseline.waitForLine(/^ready$/, 60_000)]);
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      for (const [name, proc, port, token] of [
        ['herald', herald, heraldPort, db.apiKey],
        ['baseline', baseline, baselinePort, undefined],
      ] as const) {
        const { result, cpu } = await withCpu([proc.pid], () =>
          acceptLoad({ baseUrl: `http://127.0.0.1:${port}`, token, connections: Number(values.connections), size: { seconds: Number(values.seconds) }, keyPrefix: `probe-${round}` }),
        );
        const per = perUnit(cpu, result.ok);
        console.log(
          `${name.padEnd(8)} ${result.requestsPerSec.toFixed(0).padStart(6)} req/s  p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms  non2xx ${result.non2xx}  cpu ms/req: app ${per.app} pg ${per.postgres} redis ${per.redis} bench ${per.bench}`,
        );
        await db.truncate();
        await flushPrefix(redisUrl, prefix);
      }
    }
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

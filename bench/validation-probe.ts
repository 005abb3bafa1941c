// Recipient validation against a local DNS server (dns2, in this process): batches of 1000
// addresses over 100 domains with a warm cache (target ≥ 20,000 addresses/s), and a job of
// 100,000 lines over 2,000 domains with a cold cache, from upload to completed (target < 30 s).
//   npx ts-node --transpile-only bench/validation-probe.ts [--seconds 5] [--connections 4] [--lines 100000] [--domains 2000]
// Uses the existing build (npm run build). Runs one all-in-one Herald process (api and worker).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { startDnsServer } from '../test/support/dns-server';

const ROOT = join(__dirname, '..');
const ADMIN_KEY = 'bench-validation-admin-key-0123456789';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '4' },
      lines: { type: 'string', default: '100000' },
      domains: { type: 'string', default: '2000' },
    },
  });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-validation-${db.name.slice(-6)}}`;
  const dns = await startDnsServer((name) => (name.endsWith('.bench.example') ? { mx: [{ exchange: 'mx.bench.example', priority: 10 }] } : undefined));
  try {
    const port = await freePort();
    const herald = startNodeProcess('herald', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve'], {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      WORKER_HTTP_PORT: String(await freePort()),
      HERALD_ADMIN_KEY: ADMIN_KEY,
      DNS_SERVERS: dns.address,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // The probe measures throughput, not the per-client budget.
      VALIDATE_RATE_LIMIT: '1000000000',
    }, ROOT);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/livez`, herald, 60_000);
    const headers = { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' };

    // Batch, warm cache: the first request fills it; then `connections` clients post for `seconds`.
    const emails = Array.from({ length: 1000 }, (_, i) => `user${i}@d${i % 100}.batch.bench.example`);
    const body = JSON.stringify({ emails });
    const post = async () => {
      const res = await fetch(`${base}/api/validate/batch`, { method: 'POST', headers, body });
      if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    await post();
    const queriesWarm = dns.totalQueries();
    let batches = 0;
    const deadline = Date.now() + Number(values.seconds) * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Number(values.connections) }, async () => {
        while (Date.now() < deadline) {
          await post();
          batches += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`batch (warm cache): ${((batches * 1000) / seconds).toFixed(0)} addresses/s over ${batches} batches of 1000 (${Number(values.connections)} clients, ${seconds.toFixed(1)} s); DNS queries during the load: ${dns.totalQueries() - queriesWarm}`);

    // Job, cold cache.
    const lines = Number(values.lines);
    const domains = Number(values.domains);
    const text = Array.from({ length: lines }, (_, i) => `user${i}@d${i % domains}.job.bench.example`).join('\n');
    const queriesBefore = dns.totalQueries();
    const jobStarted = performance.now();
    const created = await fetch(`${base}/api/validate/jobs`, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: text });
    if (created.status !== 202) throw new Error(`job upload answered ${created.status}: ${await created.text()}`);
    const { job_id: id } = (await created.json()) as { job_id: string };
    const uploadMs = performance.now() - jobStarted;
    let job: { status: string; processed: number; counts: Record<string, number> };
    for (;;) {
      job = (await (await fetch(`${base}/api/validate/jobs/${id}`, { headers })).json()) as typeof job;
      if (job.status === 'completed' || job.status === 'cancelled') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const jobSeconds = (performance.now() - jobStarted) / 1000;
    console.log(
      `job (cold cache): ${lines} lines over ${domains} domains ${job.status} in ${jobSeconds.toFixed(1)} s end to end (upload answered in ${(uploadMs / 1000).toFixed(1)} s; ${(lines / jobSeconds).toFixed(0)} rows/s); counts ${JSON.stringify(job.counts)}; DNS queries ${dns.totalQueries() - queriesBefore}`,
    );
  } finally {
    await killAllBenchProcesses();
    await dns.close();
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

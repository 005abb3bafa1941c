// Attachments on the accept path (issue 12): requests/s and Postgres bytes written per request for
// POST /api/notify with one 1 MB PDF, and the all-in-one process's peak RSS while 50 clients post
// 10 MB of attachments at once.
//   npx ts-node --transpile-only bench/attachment-probe.ts [--seconds 8] [--connections 10] [--big 50]
// Uses the existing build (npm run build).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';

const ROOT = join(__dirname, '..');
const MB = 1024 * 1024;

function pdf(bytes: number): string {
  return Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(bytes - 9)]).toString('base64');
}

function body(content: string, files = 1): string {
  const attachments = Array.from({ length: files }, (_, i) => ({ filename: `quote-${i}.pdf`, content_type: 'application/pdf', content }));
  return JSON.stringify({ to: 'buyer@example.com', subject: 'Your quote', text: 'Attached.', attachments });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '8' }, connections: { type: 'string', default: '10' }, big: { type: 'string', default: '50' } },
  });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-att-${db.name.slice(-6)}}`;
  const outbox = join('/tmp', `${db.name}-outbox`);
  try {
    const [port, workerPort] = [await freePort(), await freePort()];
    // All in one (api and worker), as the RSS target asks; the outbox provider takes the sends.
    const herald = startNodeProcess('herald all', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve'], {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      WORKER_HTTP_PORT: String(workerPort),
      OUTBOX_DIR: outbox,
      NOTIFY_RATE_LIMIT: '1000000000',
      LOG_LEVEL: 'warn',
    }, ROOT);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/livez`, herald, 60_000);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${db.apiKey}` };

    // 1. One 1 MB PDF per request.
    const oneMb = body(pdf(MB));
    const walBefore = (await db.query<{ wal: string }>('select pg_current_wal_lsn()::text as wal'))[0]?.wal ?? '0/0';
    let counter = 0;
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        {
          url: baseUrl,
          connections: Number(values.connections),
          duration: Number(values.seconds),
          timeout: 30,
          requests: [{ method: 'POST', path: '/api/notify', body: oneMb, setupRequest: (req) => ({ ...req, headers: { ...headers, 'idempotency-key': `att-${(counter += 1)}` } }) }],
        },
        (error, res) => (error === null ? resolve(res) : reject(error)),
      );
    });
    const [written] = await db.query<{ wal_bytes: string; table_bytes: string; rows: string }>(
      `select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text as wal_bytes,
              (pg_total_relation_size('messages') + pg_total_relation_size('message_attachments'))::text as table_bytes,
              (select count(*) from message_attachments)::text as rows`,
      [walBefore],
    );
    const ok = result['2xx'];
    console.log(
      JSON.stringify({
        probe: 'accept with a 1 MB attachment',
        connections: Number(values.connections),
        requestsPerSec: Math.round((ok / result.duration) * 10) / 10,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        ok,
        non2xx: result.non2xx,
        walBytesPerRequest: ok === 0 ? null : Math.round(Number(written?.wal_bytes) / ok),
        tableBytesPerRequest: ok === 0 ? null : Math.round(Number(written?.table_bytes) / ok),
        storedFiles: Number(written?.rows),
      }),
    );
    await db.truncate();

    // 2. Many clients posting 10 MB of files at once: the body budget (MAX_BODY_BYTES_IN_FLIGHT)
    // answers 503 to what does not fit rather than reading it, so the RSS stays bounded.
    const tenMb = body(pdf(MB), 10);
    const statuses = await Promise.all(
      Array.from({ length: Number(values.big) }, (_, i) =>
        fetch(`${baseUrl}/api/notify`, { method: 'POST', headers: { ...headers, 'idempotency-key': `big-${i}` }, body: tenMb }).then(
          async (res) => (await res.arrayBuffer(), res.status),
          () => 0,
        ),
      ),
    );
    const tally: Record<string, number> = {};
    for (const status of statuses) tally[status] = (tally[status] ?? 0) + 1;
    const peak = herald.peakRssBytes();
    console.log(JSON.stringify({ probe: `${values.big} concurrent 10 MB requests, all-in-one`, statuses: tally, peakRssMb: peak === undefined ? null : Math.round((peak / MB) * 10) / 10 }));
  } finally {
    await killAllBenchProcesses();
    await rm(outbox, { recursive: true, force: true });
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

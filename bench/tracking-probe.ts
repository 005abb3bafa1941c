// Tracking (issue 15): drains the same number of messages three times in one run (plain text;
// html with 20 links untracked; the same html with open and click tracking) and prints the
// drain rates and their ratios (target: tracked ≥ 0.85× plain); then, against the same api
// process, the open pixel and the click redirect under load, alternating with GET /livez
// (target ≥ 0.5× each: one indexed lookup and one event insert per request, group-committed).
//   npx ts-node --transpile-only bench/tracking-probe.ts [--messages 3000] [--rounds 1] [--seconds 8] [--connections 50]
// Uses the existing build (npm run build).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../services/platform/config';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { QUEUE_NAMES } from '../services/platform/queue';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { startCountingSink } from './counting-sink';
import { fillHerald, measureDrain, perUnit, withCpu } from './harness';

const ROOT = join(__dirname, '..');
const PUBLIC_URL = 'https://herald.example.org';
const AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** A newsletter-like html part with 20 links. */
function htmlWithLinks(): string {
  const items = Array.from({ length: 20 }, (_, i) => `<tr><td><a href="https://shop.example.com/products/${i}?utm_source=herald&amp;utm_medium=email">Product ${i}</a> is back in stock at a better price than last week.</td></tr>`);
  return `<!doctype html><html><body><table width="600">${items.join('\n')}</table></body></html>`;
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error === null ? resolve(result) : reject(error)));
  });
}

/** GET paths under load; each request takes the next path in turn. Counts answers with `status`. */
async function getLoad(baseUrl: string, paths: readonly string[], status: number, seconds: number, connections: number) {
  let next = 0;
  const result = await run({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[(next += 1) % paths.length] ?? '/livez', headers: { 'user-agent': AGENT } }) }],
  });
  const answered = result.statusCodeStats[String(status)]?.count ?? 0;
  return { perSec: answered / result.duration, other: result.requests.total - answered, p50: result.latency.p50, p99: result.latency.p99, answered };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '50' },
    },
  });
  const messages = Number(values.messages);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-trprobe-${db.name.slice(-6)}}`;
  const sink = await startCountingSink();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue(QUEUE_NAMES.deliveries, { connection: redis, prefix });
  try {
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      PORT: String(apiPort),
      WORKER_HTTP_PORT: String(workerPort),
      MAIL_PROVIDERS: 'smtp',
      SMTP_URL: sink.url,
      WORKER_CONCURRENCY: String(loadConfig({}).workerConcurrency),
      NOTIFY_RATE_LIMIT: '1000000000',
      PUBLIC_URL,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const api = startNodeProcess('herald api', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'api'], env, ROOT);
    await waitForHttp(`${baseUrl}/livez`, api, 60_000);
    const sentRows = async () => Number((await db.query<{ n: number }>("select count(*)::int as n from messages where status = 'sent'"))[0]?.n);
    const drain = async (label: string, extra: Record<string, unknown>) => {
      await fillHerald(baseUrl, db.apiKey, messages, label, extra);
      sink.reset();
      const worker = startNodeProcess('herald worker', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'worker'], env, ROOT);
      const result = await measureDrain(sink, worker, queue, messages, sentRows);
      await worker.stop(10_000);
      if (result.sinkCount !== messages || result.sentRows !== messages) throw new Error(`${label}: ${result.sinkCount} at the sink, ${result.sentRows} sent of ${messages}`);
      return result;
    };
    const html = htmlWithLinks();
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      const plain = await drain(`plain-${round}`, {});
      await db.truncate();
      const untracked = await drain(`html-${round}`, { html });
      await db.truncate();
      const tracked = await drain(`tracked-${round}`, { html, track: { opens: true, clicks: true } });
      const links = await db.query<{ n: number }>("select count(*)::int as n from tracked_links where kind = 'click'");
      const cpu = (r: typeof plain) => `cpu ms/msg: app ${r.cpuMsPerMessage.app} pg ${r.cpuMsPerMessage.postgres} redis ${r.cpuMsPerMessage.redis}`;
      console.log(`drain, plain text          ${plain.deliveriesPerSec.toFixed(0).padStart(6)} /s  ${cpu(plain)}`);
      console.log(`drain, html, 20 links      ${untracked.deliveriesPerSec.toFixed(0).padStart(6)} /s  ${cpu(untracked)}`);
      console.log(
        `drain, tracked             ${tracked.deliveriesPerSec.toFixed(0).padStart(6)} /s  (${(tracked.deliveriesPerSec / plain.deliveriesPerSec).toFixed(2)}x plain, ` +
          `${(tracked.deliveriesPerSec / untracked.deliveriesPerSec).toFixed(2)}x the same html untracked; ${links[0]?.n ?? 0} links)  ${cpu(tracked)}`,
      );

      const opens = (await db.query<{ token: string }>("select token from tracked_links where kind = 'open' limit 5000")).map((r) => `/t/o/${r.token}.gif`);
      const clicks = (await db.query<{ token: string }>("select token from tracked_links where kind = 'click' limit 5000")).map((r) => `/t/c/${r.token}`);
      // The sends were moments ago: count them as an hour old, so the events are a person's, as in real use.
      await db.query("update messages set sent_at = now() - interval '1 hour'");
      const rates: Record<string, number[]> = { livez: [], pixel: [], redirect: [] };
      for (let pass = 0; pass < 2; pass += 1) {
        for (const [name, paths, status] of [['livez', ['/livez'], 200], ['pixel', opens, 200], ['redirect', clicks, 302]] as const) {
          const { result, cpu: used } = await withCpu([api.pid], () => getLoad(baseUrl, paths, status, seconds, connections));
          rates[name]?.push(result.perSec);
          const per = perUnit(used, result.answered);
          console.log(
            `${name.padEnd(9)} ${result.perSec.toFixed(0).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  other answers ${result.other}  cpu ms/req: app ${per.app} pg ${per.postgres}`,
          );
        }
      }
      const events = await db.query<{ type: string; n: number }>("select type, count(*)::int as n from message_events where type in ('opened', 'clicked') group by type order by type");
      const best = (list: number[] = []) => Math.max(...list);
      console.log(`pixel / livez: ${(best(rates.pixel) / best(rates.livez)).toFixed(2)}x, redirect / livez: ${(best(rates.redirect) / best(rates.livez)).toFixed(2)}x (target ≥ 0.5x each); events ${events.map((e) => `${e.type} ${e.n}`).join(', ')}`);
      await db.truncate();
      await flushPrefix(redisUrl, prefix);
    }
  } finally {
    await killAllBenchProcesses();
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await sink.close();
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

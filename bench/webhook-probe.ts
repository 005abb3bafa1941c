// Webhooks in the drain: drains the same number of messages twice in one run, first with no
// webhook endpoint, then with one endpoint subscribed to every event (a local receiver that
// answers 204 at once), and prints the two drain rates, their ratio, webhook deliveries/s and
// event-to-delivery latency p50/p99 (from the event's timestamp to the receiver's arrival).
//   npx ts-node --transpile-only bench/webhook-probe.ts [--messages 3000] [--rounds 1] [--concurrency N] [--cpu-prof DIR]
// Uses the existing build (npm run build).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Keyring, parseKeyring } from '../services/platform/crypto';
import { loadConfig } from '../services/platform/config';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { QUEUE_NAMES } from '../services/platform/queue';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { startCountingSink } from './counting-sink';
import { fillHerald, measureDrain } from './harness';

const ROOT = join(__dirname, '..');

/** A receiver that answers 204 at once and notes, per request, the ms since the event's timestamp. */
async function startReceiver() {
  const arrivals: number[] = [];
  const latencies: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const now = Date.now();
      const { timestamp } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
      arrivals.push(now);
      latencies.push(now - Date.parse(timestamp));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrivals,
    latencies,
    reset: () => {
      arrivals.length = 0;
      latencies.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { messages: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '1' }, concurrency: { type: 'string' }, 'cpu-prof': { type: 'string' } },
  });
  const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`];
  const messages = Number(values.messages);
  const concurrency = values.concurrency ?? String(loadConfig({}).workerConcurrency);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-whprobe-${db.name.slice(-6)}}`;
  const credentialsKeys = `bench:${randomBytes(32).toString('base64')}`;
  const keyring = new Keyring(parseKeyring(credentialsKeys));
  const sink = await startCountingSink();
  const receiver = await startReceiver();
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
      WORKER_CONCURRENCY: concurrency,
      NOTIFY_RATE_LIMIT: '1000000000',
      CREDENTIALS_KEYS: credentialsKeys,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    const api = startNodeProcess('herald api', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'api'], env, ROOT);
    await waitForHttp(`http://127.0.0.1:${apiPort}/livez`, api, 60_000);
    const [key] = await db.query<{ id: string }>('select id from api_keys limit 1');
    const sentRows = async () => Number((await db.query<{ n: number }>("select count(*)::int as n from messages where status = 'sent'"))[0]?.n);
    const drain = async (label: string) => {
      await fillHerald(`http://127.0.0.1:${apiPort}`, db.apiKey, messages, label);
      sink.reset();
      receiver.reset();
      const worker = startNodeProcess('herald worker', [...HERALD_NODE_FLAGS, ...profile, 'dist/services/main.js', 'serve', '--role', 'worker'], env, ROOT);
      const result = await measureDrain(sink, worker, queue, messages, sentRows);
      return { result, worker };
    };
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      const none = await drain(`none-${round}`);
      await none.worker.stop(10_000);
      await db.truncate();

      const id = randomUUID();
      const sealed = keyring.seal(`whsec_${randomBytes(32).toString('base64')}`, `webhook_endpoints:${id}:current`);
      await db.query('insert into webhook_endpoints (id, client_id, url, secret_ciphertext, secret_key_id) values ($1, $2, $3, $4, $5)', [
        id,
        key?.id,
        receiver.url,
        sealed.ciphertext,
        sealed.keyId,
      ]);
      const subscribed = await drain(`subscribed-${round}`);
      const deadline = Date.now() + 120_000;
      while (receiver.arrivals.length < messages && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await subscribed.worker.stop(10_000);
      const arrivals = receiver.arrivals;
      const seconds = ((arrivals[arrivals.length - 1] ?? 0) - (arrivals[0] ?? 0)) / 1000;
      const ratio = subscribed.result.deliveriesPerSec / none.result.deliveriesPerSec;
      const cpu = (r: typeof none.result) => `cpu ms/msg: app ${r.cpuMsPerMessage.app} pg ${r.cpuMsPerMessage.postgres} redis ${r.cpuMsPerMessage.redis} bench ${r.cpuMsPerMessage.bench}`;
      console.log(`drain, no endpoint     ${none.result.deliveriesPerSec.toFixed(0).padStart(6)} /s  ${cpu(none.result)}`);
      console.log(`drain, one endpoint    ${subscribed.result.deliveriesPerSec.toFixed(0).padStart(6)} /s  (${ratio.toFixed(2)}x)  ${cpu(subscribed.result)}`);
      console.log(
        `webhooks               ${arrivals.length}/${messages} arrived  ${((arrivals.length - 1) / seconds).toFixed(0)} /s  event-to-delivery p50 ${percentile(receiver.latencies, 50)} ms  p99 ${percentile(receiver.latencies, 99)} ms`,
      );
      await db.truncate();
      await db.query('truncate webhook_attempts, webhook_deliveries, webhook_endpoints');
      await flushPrefix(redisUrl, prefix);
    }
  } finally {
    await killAllBenchProcesses();
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await sink.close();
    await receiver.close();
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

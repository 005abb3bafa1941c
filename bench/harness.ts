import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../services/platform/queue';
import { BASELINE_JOB_OPTIONS, BASELINE_QUEUE } from './baseline/schema';
import { assertLocal, type BenchDatabase, createBenchDatabase, flushPrefix } from './bench-database';
import { type BenchProcess, freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { type BigBatchLoad, type BigBatchResult, bigBatchMemory } from './big-batches';
import { type CountingSink, startCountingSink } from './counting-sink';
import { cpuBetween, cpuSnapshot } from './cpu-usage';
import { acceptLoad, batchItems, batchLoad, type HttpLoadResult, type LoadSize, percentile, postJson, steadyNotify } from './load';

const MB = 1024 * 1024;
const STARTUP_TIMEOUT_MS = 60_000;

/** Node arguments that run each program (compiled JavaScript for the benchmark, TypeScript sources in the smoke test). */
export interface Launchers {
  readonly herald: readonly string[];
  readonly baselineApi: readonly string[];
  readonly baselineWorker: readonly string[];
}

export interface BenchOptions {
  /** Working directory of the children (the repository). */
  readonly cwd: string;
  readonly launchers: Launchers;
  /** Any database URL on the server to use; the benchmark makes its own database there. */
  readonly databaseServerUrl: string;
  readonly redisUrl: string;
  /** Accept load on each API before the measured one, discarded: both JITs warm, both pools full. */
  readonly warmup: LoadSize;
  readonly accept: LoadSize;
  readonly acceptConnections: number;
  readonly drainMessages: number;
  readonly batch: LoadSize;
  readonly batchItems: number;
  readonly batchConnections: number;
  readonly latencyRatePerSec: number;
  readonly latencyMessages: number;
  /** The all-in-one process under the accept load, for its peak RSS. */
  readonly allInOne: LoadSize;
  /** Concurrent large batches on a fresh api process, for its peak RSS (issue 19: 20 × 10 MB). */
  readonly bigBatches: BigBatchLoad;
  /** The same for Herald's worker and the baseline's. */
  readonly workerConcurrency: number;
  /** Progress lines; silent when absent. */
  readonly log?: (line: string) => void;
}

/** CPU ms spent per request (or message) by each part of the system: the measured process, Postgres, Redis and the benchmark itself. */
export interface CpuCost {
  readonly app: number;
  readonly postgres: number;
  readonly redis: number;
  readonly bench: number;
}

export interface DrainResult {
  readonly messages: number;
  readonly cpuMsPerMessage: CpuCost;
  /** Deliveries per second at the sink, from the first arrival to the last. */
  readonly deliveriesPerSec: number;
  /** Messages the sink received (must equal `messages`). */
  readonly sinkCount: number;
  /** Rows marked sent in Postgres. */
  readonly sentRows: number;
  /** Jobs still waiting, active or delayed when the sink had everything. */
  readonly jobsLeft: number;
}

export interface AcceptResult extends HttpLoadResult {
  /** Rows stored by the run; equals `ok` when every 202 stored exactly one row. */
  readonly rows: number;
  readonly cpuMsPerRequest: CpuCost;
}

export interface LatencyResult {
  readonly messages: number;
  readonly ratePerSec: number;
  /** From the start of the POST to the message's arrival at the SMTP sink. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface RunResult {
  readonly herald: {
    readonly accept: AcceptResult;
    readonly batch: HttpLoadResult & { readonly rows: number; readonly cpuMsPerNotification: CpuCost };
    readonly drain: DrainResult;
    readonly latency: LatencyResult;
    readonly allInOneAccept: HttpLoadResult;
    readonly bigBatches: BigBatchResult;
    readonly peakRssMb: { readonly api: number; readonly worker: number; readonly allInOne: number; readonly apiBigBatches: number };
  };
  readonly baseline: {
    readonly accept: AcceptResult;
    readonly drain: DrainResult;
  };
}

function mb(bytes: number | undefined): number {
  return bytes === undefined ? Number.NaN : Math.round((bytes / MB) * 10) / 10;
}

function tag(): string {
  return randomBytes(4).toString('hex');
}

/** Runs every measurement once against fresh processes, a fresh database and fresh queue prefixes; always cleans up. */
export async function runBenchmarkOnce(options: BenchOptions): Promise<RunResult> {
  assertLocal(options.redisUrl, 'REDIS_URL');
  const log = options.log ?? (() => undefined);
  const run = tag();
  const prefixes = {
    herald: `{herald-bench-${run}}`,
    baseline: `{baseline-bench-${run}}`,
    allInOne: `{herald-bench-all-${run}}`,
    bigBatches: `{herald-bench-big-${run}}`,
  };
  const sink = await startCountingSink();
  let database: BenchDatabase | undefined;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const heraldQueue = new Queue(QUEUE_NAMES.deliveries, { connection: redis, prefix: prefixes.herald });
  const baselineQueue = new Queue(BASELINE_QUEUE, { connection: redis, prefix: prefixes.baseline });
  try {
    database = await createBenchDatabase(options.databaseServerUrl);
    const db = database;
    log(`database ${db.name}`);
    const ports = { herald: await freePort(), baseline: await freePort(), worker: await freePort(), allInOne: await freePort(), bigBatches: await freePort() };
    const heraldUrl = `http://127.0.0.1:${ports.herald}`;
    const baselineUrl = `http://127.0.0.1:${ports.baseline}`;

    const heraldEnv = (prefix: string, port: number): Record<string, string> => ({
      NODE_ENV: 'production',
      PORT: String(port),
      WORKER_HTTP_PORT: String(ports.worker),
      DATABASE_URL: db.url,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: prefix,
      MAIL_PROVIDERS: 'smtp',
      SMTP_URL: sink.url,
      WORKER_CONCURRENCY: String(options.workerConcurrency),
      NOTIFY_RATE_LIMIT: '1000000000',
      LOG_LEVEL: 'warn',
    });
    const baselineEnv = (extra: Record<string, string>): Record<string, string> => ({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: prefixes.baseline,
      ...extra,
    });
    const startHerald = (role: 'api' | 'worker' | 'all', prefix: string, port: number) =>
      startNodeProcess(`herald ${role}`, [...options.launchers.herald, 'serve', '--role', role], heraldEnv(prefix, port), options.cwd);

    const resetState = async () => {
      await db.truncate();
      await Promise.all([flushPrefix(options.redisUrl, prefixes.herald), flushPrefix(options.redisUrl, prefixes.baseline)]);
    };
    const countRows = async (table: 'messages' | 'baseline_messages', status?: string) => {
      const where = status === undefined ? '' : ` where status = '${status}'`;
      const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${table}${where}`);
      return row?.n ?? 0;
    };
    // autocannon stops at its deadline with requests still being served; wait until the table stops growing.
    const settledRows = async (table: 'messages' | 'baseline_messages') => {
      const deadline = Date.now() + 15_000;
      let last = await countRows(table);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const now = await countRows(table);
        if (now === last || Date.now() > deadline) return now;
        last = now;
      }
    };

    const heraldApi = startHerald('api', prefixes.herald, ports.herald);
    const baselineApi = startNodeProcess('baseline api', options.launchers.baselineApi, baselineEnv({ PORT: String(ports.baseline) }), options.cwd);
    await Promise.all([waitForHttp(`${heraldUrl}/livez`, heraldApi, STARTUP_TIMEOUT_MS), baselineApi.waitForLine(/^ready$/, STARTUP_TIMEOUT_MS)]);

    log('warm-up: herald and baseline');
    await acceptLoad({ baseUrl: heraldUrl, token: db.apiKey, connections: options.acceptConnections, size: options.warmup, keyPrefix: `warmup-${run}` });
    await acceptLoad({ baseUrl: baselineUrl, connections: options.acceptConnections, size: options.warmup, keyPrefix: `warmup-${run}` });
    await settledRows('messages');
    await settledRows('baseline_messages');
    await resetState();

    log('accept: herald');
    const heraldAccept = await withCpu([heraldApi.pid], () =>
      acceptLoad({ baseUrl: heraldUrl, token: db.apiKey, connections: options.acceptConnections, size: options.accept, keyPrefix: `accept-${run}` }),
    );
    const heraldAcceptRows = await settledRows('messages');
    log('accept: baseline');
    const baselineAccept = await withCpu([baselineApi.pid], () =>
      acceptLoad({ baseUrl: baselineUrl, connections: options.acceptConnections, size: options.accept, keyPrefix: `accept-${run}` }),
    );
    const baselineAcceptRows = await settledRows('baseline_messages');
    await resetState();

    log('batch: herald');
    const batch = await withCpu([heraldApi.pid], () =>
      batchLoad({
        baseUrl: heraldUrl,
        token: db.apiKey,
        connections: options.batchConnections,
        size: options.batch,
        items: options.batchItems,
        keyPrefix: `batch-${run}`,
      }),
    );
    const batchRows = await settledRows('messages');
    await resetState();

    log(`drain: herald, filling ${options.drainMessages}`);
    await fillHerald(heraldUrl, db.apiKey, options.drainMessages, `drain-${run}`);
    const queued = await countRows('messages', 'queued');
    if (queued !== options.drainMessages) {
      // Rows left `pending` wait for the sweeper's grace period, which would spoil the drain rate.
      throw new Error(`drain fill: ${queued} of ${options.drainMessages} notifications queued; the rest are pending (the API's enqueue timed out: is the machine overloaded?)`);
    }
    sink.reset();
    const heraldWorker = startHerald('worker', prefixes.herald, ports.herald);
    const heraldDrain = await measureDrain(sink, heraldWorker, heraldQueue, options.drainMessages, () => countRows('messages', 'sent'));

    log('latency: herald');
    const latency = await measureLatency(sink, heraldUrl, db.apiKey, options.latencyRatePerSec, options.latencyMessages, `latency-${run}`);
    const workerPeak = await heraldWorker.stop();
    const apiPeak = await heraldApi.stop();
    await resetState();

    log(`drain: baseline, filling ${options.drainMessages}`);
    await fillBaseline(db, baselineQueue, options.drainMessages);
    sink.reset();
    const baselineWorker = startNodeProcess(
      'baseline worker',
      options.launchers.baselineWorker,
      baselineEnv({ SMTP_URL: sink.url, CONCURRENCY: String(options.workerConcurrency) }),
      options.cwd,
    );
    const baselineDrain = await measureDrain(sink, baselineWorker, baselineQueue, options.drainMessages, () => countRows('baseline_messages', 'sent'));
    await baselineWorker.stop();
    await baselineApi.stop();
    await resetState();

    log('memory: herald all-in-one under the accept load');
    const allInOne = startHerald('all', prefixes.allInOne, ports.allInOne);
    const allInOneUrl = `http://127.0.0.1:${ports.allInOne}`;
    await waitForHttp(`${allInOneUrl}/healthz`, allInOne, STARTUP_TIMEOUT_MS);
    const allInOneAccept = await acceptLoad({ baseUrl: allInOneUrl, token: db.apiKey, connections: options.acceptConnections, size: options.allInOne, keyPrefix: `all-${run}` });
    const allInOnePeak = await allInOne.stop();

    log(`memory: herald api under ${options.bigBatches.concurrent} concurrent batches of ${options.bigBatches.items} items`);
    // A fresh process: its peak RSS is the batches' alone.
    const bigBatchApi = startHerald('api', prefixes.bigBatches, ports.bigBatches);
    const bigBatchUrl = `http://127.0.0.1:${ports.bigBatches}`;
    await waitForHttp(`${bigBatchUrl}/livez`, bigBatchApi, STARTUP_TIMEOUT_MS);
    const bigBatches = await bigBatchMemory({ baseUrl: bigBatchUrl, token: db.apiKey, api: bigBatchApi, load: options.bigBatches, keyPrefix: `big-${run}` });
    await bigBatchApi.stop();

    return {
      herald: {
        accept: { ...heraldAccept.result, rows: heraldAcceptRows, cpuMsPerRequest: perUnit(heraldAccept.cpu, heraldAccept.result.ok) },
        batch: { ...batch.result, rows: batchRows, cpuMsPerNotification: perUnit(batch.cpu, batch.result.ok * options.batchItems) },
        drain: heraldDrain,
        latency,
        allInOneAccept,
        bigBatches,
        peakRssMb: { api: mb(apiPeak), worker: mb(workerPeak), allInOne: mb(allInOnePeak), apiBigBatches: bigBatches.peakRssMb },
      },
      baseline: {
        accept: { ...baselineAccept.result, rows: baselineAcceptRows, cpuMsPerRequest: perUnit(baselineAccept.cpu, baselineAccept.result.ok) },
        drain: baselineDrain,
      },
    };
  } finally {
    await killAllBenchProcesses();
    await Promise.allSettled([heraldQueue.close(), baselineQueue.close()]);
    redis.disconnect();
    await Promise.allSettled(Object.values(prefixes).map((prefix) => flushPrefix(options.redisUrl, prefix)));
    await database?.drop();
    await sink.close();
  }
}

/** Fills Herald's queue through its batch endpoint, as a client would, one request at a time. */
export async function fillHerald(baseUrl: string, token: string, count: number, keyPrefix: string, extra: Record<string, unknown> = {}): Promise<void> {
  const chunks: number[] = [];
  for (let left = count; left > 0; left -= 1000) chunks.push(Math.min(1000, left));
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) {
      const index = next;
      next += 1;
      const items = batchItems(`${keyPrefix}-${index}`, chunks[index] ?? 0).map((item) => ({ ...item, ...extra }));
      const { status, body } = await postJson(`${baseUrl}/api/notify/batch`, { items }, { authorization: `Bearer ${token}` });
      const accepted = (body as { accepted?: unknown } | undefined)?.accepted;
      if (status !== 202 || accepted !== items.length) throw new Error(`drain fill: HTTP ${status}, accepted ${String(accepted)} of ${items.length}`);
    }
  };
  await lane();
}

/** Fills the baseline's table and queue directly: its API has no batch endpoint, and the drain measures only the worker. */
export async function fillBaseline(db: BenchDatabase, queue: Queue, count: number): Promise<void> {
  const rows = await db.query<{ id: string }>(
    `insert into baseline_messages (idempotency_key, "to", subject, text)
     select 'drain-' || g, 'bench@example.com', 'Benchmark', 'Hello from the Herald benchmark.' from generate_series(1, $1::int) g
     returning id`,
    [count],
  );
  for (let i = 0; i < rows.length; i += 1000) {
    await queue.addBulk(rows.slice(i, i + 1000).map(({ id }) => ({ name: 'deliver', data: { id }, opts: { ...BASELINE_JOB_OPTIONS, jobId: id } })));
  }
}

/** Waits until the sink has every message and the queue is empty, then checks that nothing arrived twice. */
export async function measureDrain(sink: CountingSink, worker: BenchProcess, queue: Queue, messages: number, sentRows: () => Promise<number>): Promise<DrainResult> {
  const died = worker.exited.then(({ code, signal }) => {
    throw new Error(`${worker.name} exited (${code ?? signal}) during the drain\n${worker.tail.join('\n')}`);
  });
  died.catch(() => undefined);
  const { cpu } = await withCpu([worker.pid], () => Promise.race([sink.waitForCount(messages, 60_000 + messages * 10), died]));
  const deadline = Date.now() + 30_000;
  let jobsLeft = Number.POSITIVE_INFINITY;
  let sent = 0;
  while (Date.now() < deadline) {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    jobsLeft = Object.values(counts).reduce((sum, n) => sum + n, 0);
    sent = await sentRows();
    if (jobsLeft === 0 && sent >= messages) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A duplicate send would arrive within a moment of the last job completing.
  await new Promise((resolve) => setTimeout(resolve, 250));
  const seconds = ((sink.lastAt ?? 0) - (sink.firstAt ?? 0)) / 1000;
  return {
    messages,
    cpuMsPerMessage: perUnit(cpu, messages),
    deliveriesPerSec: messages > 1 && seconds > 0 ? (messages - 1) / seconds : Number.NaN,
    sinkCount: sink.count,
    sentRows: sent,
    jobsLeft,
  };
}

async function measureLatency(sink: CountingSink, baseUrl: string, token: string, ratePerSec: number, messages: number, keyPrefix: string): Promise<LatencyResult> {
  sink.reset({ trackIds: true });
  const started = await steadyNotify({ baseUrl, token, ratePerSec, count: messages, keyPrefix });
  await sink.waitForCount(messages, 30_000);
  const latencies: number[] = [];
  for (const [id, at] of started) {
    const arrived = sink.arrivals.get(id);
    if (arrived === undefined) throw new Error(`latency: message ${id} never reached the sink`);
    latencies.push(arrived - at);
  }
  return {
    messages,
    ratePerSec,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
  };
}

/** Runs `work` and reports the CPU time it cost the given processes, Postgres, Redis and this process. */
export async function withCpu<T>(pids: readonly number[], work: () => Promise<T>): Promise<{ result: T; cpu: CpuCost }> {
  const before = cpuSnapshot(pids);
  const ownBefore = process.cpuUsage();
  const result = await work();
  const own = process.cpuUsage(ownBefore);
  const used = cpuBetween(before, cpuSnapshot(pids));
  const app = [...used.byPid.values()].reduce((a, b) => a + b, 0);
  return { result, cpu: { app, postgres: used.postgres, redis: used.redis, bench: (own.user + own.system) / 1000 } };
}

export function perUnit(cpu: CpuCost, units: number): CpuCost {
  const per = (ms: number) => (units > 0 ? Math.round((ms / units) * 1000) / 1000 : Number.NaN);
  return { app: per(cpu.app), postgres: per(cpu.postgres), redis: per(cpu.redis), bench: per(cpu.bench) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

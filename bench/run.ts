// `npm run bench`: builds Herald and the baseline, makes sure Postgres and Redis are up, runs the
// measurements `--runs` times, writes bench/results/<date>.json and prints the markdown table.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../services/platform/config';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { killAllBenchProcesses } from './bench-process';
import { CONSOLE_TARGETS, consoleTable, measureConsole } from './console-probe';
import { type BenchOptions, type RunResult, runBenchmarkOnce } from './harness';
import { cpuTable, markdownTable, summarize } from './report';

const ROOT = join(__dirname, '..');

const USAGE = `usage: npm run bench -- [options]

  --runs N                 repetitions; the table shows medians (default 3)
  --warmup-seconds S       unmeasured accept load on each API first (default 3)
  --accept-seconds S       POST /api/notify load per system (default 15)
  --connections N          autocannon connections for the accept load (default 50)
  --drain N                messages queued before the workers start (default 20000)
  --batch-seconds S        POST /api/notify/batch load (default 10)
  --latency-seconds S      light load for accept-to-sent latency (default 10, at --latency-rate)
  --latency-rate N         messages per second for the latency measurement (default 50)
  --all-in-one-seconds S   accept load on the all-in-one process, for its peak RSS (default: accept seconds)
  --concurrency N          worker concurrency of Herald and the baseline (default: Herald's default)
  --quick                  short smoke-sized run: 1 run, 5 s loads, 5000 messages
  --no-build               use the existing dist/ build
  --cpu-prof DIR           write a V8 CPU profile of every Herald and baseline process to DIR
                           (summarise one with: npx ts-node --transpile-only bench/profile-summary.ts FILE)
  --herald-node-arg ARG    extra node option for the Herald processes (repeatable), for experiments
`;

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, [...args], { cwd: ROOT, stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'accept-seconds': { type: 'string' },
      connections: { type: 'string' },
      drain: { type: 'string' },
      'batch-seconds': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'latency-rate': { type: 'string' },
      'all-in-one-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'herald-node-arg': { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick;
  const runs = Math.floor(positive(values.runs, quick ? 1 : 3, 'runs'));
  const acceptSeconds = positive(values['accept-seconds'], quick ? 5 : 15, 'accept-seconds');
  const latencyRate = positive(values['latency-rate'], 50, 'latency-rate');
  const latencySeconds = positive(values['latency-seconds'], quick ? 5 : 10, 'latency-seconds');
  const databaseServerUrl = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const profileDir = values['cpu-prof'];
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const options: BenchOptions = {
    cwd: ROOT,
    launchers: {
      herald: [...profile, ...HERALD_NODE_FLAGS, ...(values['herald-node-arg'] ?? []), 'dist/services/main.js'],
      baselineApi: [...profile, 'dist/bench/baseline/api.js'],
      baselineWorker: [...profile, 'dist/bench/baseline/worker.js'],
    },
    databaseServerUrl,
    redisUrl,
    warmup: { seconds: positive(values['warmup-seconds'], quick ? 1 : 3, 'warmup-seconds') },
    accept: { seconds: acceptSeconds },
    acceptConnections: Math.floor(positive(values.connections, 50, 'connections')),
    drainMessages: Math.floor(positive(values.drain, quick ? 5000 : 20_000, 'drain')),
    batch: { seconds: positive(values['batch-seconds'], quick ? 5 : 10, 'batch-seconds') },
    batchItems: 1000,
    batchConnections: 2,
    latencyRatePerSec: latencyRate,
    latencyMessages: Math.round(latencySeconds * latencyRate),
    allInOne: { seconds: positive(values['all-in-one-seconds'], acceptSeconds, 'all-in-one-seconds') },
    // Issue 19's memory case: 20 batches of 1000 items of 10 KB, 10 MB each, at once.
    bigBatches: { concurrent: 20, items: 1000, itemBytes: 10_000 },
    workerConcurrency: Math.floor(positive(values.concurrency, loadConfig({}).workerConcurrency, 'concurrency')),
    log: (line) => console.error(`bench: ${line}`),
  };

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('bench: interrupted; stopping the processes and dropping the database (again to quit at once)');
    void killAllBenchProcesses();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (!values['no-build']) {
    console.error('bench: building Herald and the baseline');
    run('npm', ['run', '--silent', 'build']);
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'bench/tsconfig.baseline.json']);
  }
  run('bash', ['scripts/services.sh'], { ...process.env, DATABASE_URL: databaseServerUrl, REDIS_URL: redisUrl });

  const machine = {
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadBefore: loadavg().map((v) => Math.round(v * 100) / 100),
  };
  console.error(`bench: ${machine.cores} cores, ${machine.memoryGb} GB, load ${machine.loadBefore.join(' ')}`);
  const results: RunResult[] = [];
  for (let i = 1; i <= runs && !interrupted; i += 1) {
    console.error(`bench: run ${i} of ${runs}`);
    const started = Date.now();
    results.push(await runBenchmarkOnce(options));
    console.error(`bench: run ${i} took ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (interrupted) throw new Error('interrupted');

  // The console (issue 18): its size and first render, once, after the runs.
  console.error('bench: the console');
  const consoleResult = await measureConsole({ rounds: 5, databaseServerUrl, redisUrl, log: (line) => console.error(`bench: ${line}`) });
  const summary = summarize(results);
  const table = `${markdownTable(summary)}\n\n${consoleTable(consoleResult)}`;
  const cpu = cpuTable(summary);
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const { log: _log, launchers: _launchers, cwd: _cwd, ...settings } = options;
  const file = join(ROOT, 'bench', 'results', `${date}.json`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), command, machine: { ...machine, loadAfter: loadavg().map((v) => Math.round(v * 100) / 100) }, settings, summary, console: consoleResult, runs: results, table, cpuTable: cpu }, null, 2)}\n`,
  );
  console.log(`\n${table}\n\n${cpu}\n\nMachine: ${machine.cores} cores, ${machine.memoryGb} GB RAM (${machine.cpu}), Node ${machine.node}. Medians of ${runs} run(s); Herald / baseline is the median of the ratios within each run (each run's in brackets). Command: \`${command}\`.`);
  console.log(`Results written to ${file}`);
  const missed = summary.targets.filter((target) => !target.met);
  if (consoleResult.jsGzipKb > CONSOLE_TARGETS.jsGzipKb) missed.push({ name: 'console JavaScript gzipped', value: `${consoleResult.jsGzipKb} KB`, target: `≤ ${CONSOLE_TARGETS.jsGzipKb} KB`, met: false });
  if (consoleResult.firstRenderMedianMs > CONSOLE_TARGETS.firstRenderMs) missed.push({ name: 'console first render', value: `${consoleResult.firstRenderMedianMs} ms`, target: `≤ ${CONSOLE_TARGETS.firstRenderMs} ms`, met: false });
  if (missed.length > 0) console.log(`Targets not met: ${missed.map((t) => `${t.name} (${t.value}, target ${t.target})`).join('; ')}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});

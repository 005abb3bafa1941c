import type { CpuCost, RunResult } from './harness';

/** The targets (2-core machine, medians of the runs). */
export const TARGETS = {
  acceptRpsRatio: 0.8,
  acceptP99Ratio: 1.5,
  drainRatio: 0.9,
  batchPerSec: 10_000,
  latencyP50Ms: 50,
  allInOneRssMb: 250,
  bigBatchRssMb: 400,
} as const;

export interface Summary {
  readonly runs: number;
  readonly herald: {
    readonly acceptRps: number;
    readonly acceptP50Ms: number;
    readonly acceptP99Ms: number;
    readonly acceptNon2xx: number;
    readonly drainPerSec: number;
    readonly drainExact: boolean;
    readonly drainMessages: number;
    readonly batchPerSec: number;
    readonly latencyP50Ms: number;
    readonly latencyP99Ms: number;
    readonly latencyRate: number;
    readonly rssApiMb: number;
    readonly rssWorkerMb: number;
    readonly rssAllInOneMb: number;
    readonly allInOneRps: number;
    readonly rssApiBigBatchesMb: number;
    /** The large-batch load, for the table's label: batches at once and the size of each. */
    readonly bigBatches: { readonly concurrent: number; readonly bodyMb: number };
    /** 503 answers (body budget full) the large batches were retried after, worst run. */
    readonly bigBatchRetries: number;
  };
  readonly baseline: {
    readonly acceptRps: number;
    readonly acceptP50Ms: number;
    readonly acceptP99Ms: number;
    readonly acceptNon2xx: number;
    readonly drainPerSec: number;
    readonly drainExact: boolean;
  };
  /** Median CPU ms per request or message, by part of the system. */
  readonly cpu: {
    readonly heraldAccept: CpuCost;
    readonly baselineAccept: CpuCost;
    readonly heraldDrain: CpuCost;
    readonly baselineDrain: CpuCost;
    readonly heraldBatch: CpuCost;
  };
  /**
   * Herald divided by the baseline: the median of the ratios within each run, where both systems
   * ran minutes apart on the same machine, so that the machine's drift between runs cancels out.
   */
  readonly ratios: { readonly acceptRps: number; readonly acceptP99: number; readonly acceptP50: number; readonly drain: number };
  /** The same ratios run by run. */
  readonly runRatios: { readonly [K in keyof Summary['ratios']]: readonly number[] };
  readonly targets: readonly { readonly name: string; readonly target: string; readonly value: string; readonly met: boolean }[];
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const fixed = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Medians per metric over the runs, the Herald/baseline ratios and the verdict on each target. */
export function summarize(runs: readonly RunResult[]): Summary {
  const m = (pick: (run: RunResult) => number, digits = 1) => fixed(median(runs.map(pick)), digits);
  const worst = (pick: (run: RunResult) => number) => Math.max(...runs.map(pick));
  const exact = (pick: (run: RunResult) => { messages: number; sinkCount: number; sentRows: number }) =>
    runs.every((run) => {
      const drain = pick(run);
      return drain.sinkCount === drain.messages && drain.sentRows === drain.messages;
    });
  const herald = {
    acceptRps: m((r) => r.herald.accept.requestsPerSec, 0),
    acceptP50Ms: m((r) => r.herald.accept.latencyP50Ms),
    acceptP99Ms: m((r) => r.herald.accept.latencyP99Ms),
    acceptNon2xx: worst((r) => r.herald.accept.non2xx + r.herald.accept.errors),
    drainPerSec: m((r) => r.herald.drain.deliveriesPerSec, 0),
    drainExact: exact((r) => r.herald.drain),
    drainMessages: runs[0]?.herald.drain.messages ?? 0,
    batchPerSec: m((r) => r.herald.batch.requestsPerSec, 0),
    latencyP50Ms: m((r) => r.herald.latency.p50Ms),
    latencyP99Ms: m((r) => r.herald.latency.p99Ms),
    latencyRate: runs[0]?.herald.latency.ratePerSec ?? 0,
    rssApiMb: m((r) => r.herald.peakRssMb.api),
    rssWorkerMb: m((r) => r.herald.peakRssMb.worker),
    rssAllInOneMb: m((r) => r.herald.peakRssMb.allInOne),
    allInOneRps: m((r) => r.herald.allInOneAccept.requestsPerSec, 0),
    rssApiBigBatchesMb: m((r) => r.herald.peakRssMb.apiBigBatches),
    bigBatches: { concurrent: runs[0]?.herald.bigBatches.batches ?? 0, bodyMb: runs[0]?.herald.bigBatches.bodyMb ?? 0 },
    bigBatchRetries: worst((r) => r.herald.bigBatches.retried503),
  };
  const baseline = {
    acceptRps: m((r) => r.baseline.accept.requestsPerSec, 0),
    acceptP50Ms: m((r) => r.baseline.accept.latencyP50Ms),
    acceptP99Ms: m((r) => r.baseline.accept.latencyP99Ms),
    acceptNon2xx: worst((r) => r.baseline.accept.non2xx + r.baseline.accept.errors),
    drainPerSec: m((r) => r.baseline.drain.deliveriesPerSec, 0),
    drainExact: exact((r) => r.baseline.drain),
  };
  const cost = (pick: (run: RunResult) => CpuCost): CpuCost => ({
    app: m((r) => pick(r).app, 3),
    postgres: m((r) => pick(r).postgres, 3),
    redis: m((r) => pick(r).redis, 3),
    bench: m((r) => pick(r).bench, 3),
  });
  const cpu = {
    heraldAccept: cost((r) => r.herald.accept.cpuMsPerRequest),
    baselineAccept: cost((r) => r.baseline.accept.cpuMsPerRequest),
    heraldDrain: cost((r) => r.herald.drain.cpuMsPerMessage),
    baselineDrain: cost((r) => r.baseline.drain.cpuMsPerMessage),
    heraldBatch: cost((r) => r.herald.batch.cpuMsPerNotification),
  };
  const perRun = (pick: (run: RunResult) => number) => runs.map((run) => fixed(pick(run), 2));
  const runRatios = {
    acceptRps: perRun((r) => r.herald.accept.requestsPerSec / r.baseline.accept.requestsPerSec),
    acceptP50: perRun((r) => r.herald.accept.latencyP50Ms / r.baseline.accept.latencyP50Ms),
    acceptP99: perRun((r) => r.herald.accept.latencyP99Ms / r.baseline.accept.latencyP99Ms),
    drain: perRun((r) => r.herald.drain.deliveriesPerSec / r.baseline.drain.deliveriesPerSec),
  };
  const ratios = {
    acceptRps: fixed(median(runRatios.acceptRps), 2),
    acceptP50: fixed(median(runRatios.acceptP50), 2),
    acceptP99: fixed(median(runRatios.acceptP99), 2),
    drain: fixed(median(runRatios.drain), 2),
  };
  const targets = [
    { name: 'accept requests/s', target: `≥ ${TARGETS.acceptRpsRatio}× baseline`, value: `${ratios.acceptRps}×`, met: ratios.acceptRps >= TARGETS.acceptRpsRatio },
    { name: 'accept p99', target: `≤ ${TARGETS.acceptP99Ratio}× baseline`, value: `${ratios.acceptP99}×`, met: ratios.acceptP99 <= TARGETS.acceptP99Ratio },
    { name: 'accept non-2xx', target: '0', value: String(herald.acceptNon2xx), met: herald.acceptNon2xx === 0 },
    { name: 'drain deliveries/s', target: `≥ ${TARGETS.drainRatio}× baseline`, value: `${ratios.drain}×`, met: ratios.drain >= TARGETS.drainRatio },
    { name: 'drain delivers each message once', target: 'sink count = messages', value: herald.drainExact ? 'exact' : 'mismatch', met: herald.drainExact },
    { name: 'batch notifications/s', target: `≥ ${TARGETS.batchPerSec}`, value: String(herald.batchPerSec), met: herald.batchPerSec >= TARGETS.batchPerSec },
    { name: 'accept-to-sent p50', target: `≤ ${TARGETS.latencyP50Ms} ms`, value: `${herald.latencyP50Ms} ms`, met: herald.latencyP50Ms <= TARGETS.latencyP50Ms },
    { name: 'all-in-one peak RSS', target: `≤ ${TARGETS.allInOneRssMb} MB`, value: `${herald.rssAllInOneMb} MB`, met: herald.rssAllInOneMb <= TARGETS.allInOneRssMb },
    { name: 'api peak RSS under large batches', target: `≤ ${TARGETS.bigBatchRssMb} MB`, value: `${herald.rssApiBigBatchesMb} MB`, met: herald.rssApiBigBatchesMb <= TARGETS.bigBatchRssMb },
  ];
  return { runs: runs.length, herald, baseline, cpu, ratios, runRatios, targets };
}

const n = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const verdict = (met: boolean) => (met ? 'yes' : '**no**');

/** The results as a markdown table: one row per measurement, Herald next to the baseline. */
export function markdownTable(summary: Summary): string {
  const { herald: h, baseline: b, ratios: r } = summary;
  // With several runs, the ratio of each run after the median, e.g. `0.89 (0.88, 1.09, 0.89)`.
  const each = (values: readonly number[]) => (values.length > 1 ? ` (${values.join(', ')})` : '');
  const met = (name: string) => verdict(summary.targets.find((t) => t.name === name)?.met ?? false);
  const rows: string[][] = [
    ['accept: POST /api/notify, requests/s', n(h.acceptRps), n(b.acceptRps), `${r.acceptRps}${each(summary.runRatios.acceptRps)}`, `≥ ${TARGETS.acceptRpsRatio}×`, met('accept requests/s')],
    ['accept: latency p50, ms', n(h.acceptP50Ms), n(b.acceptP50Ms), `${r.acceptP50}`, '', ''],
    ['accept: latency p99, ms', n(h.acceptP99Ms), n(b.acceptP99Ms), `${r.acceptP99}`, `≤ ${TARGETS.acceptP99Ratio}×`, met('accept p99')],
    ['accept: non-2xx + errors (worst run)', n(h.acceptNon2xx), n(b.acceptNon2xx), '', '0', met('accept non-2xx')],
    [`drain: ${n(h.drainMessages)} queued messages, deliveries/s`, n(h.drainPerSec), n(b.drainPerSec), `${r.drain}${each(summary.runRatios.drain)}`, `≥ ${TARGETS.drainRatio}×`, met('drain deliveries/s')],
    ['drain: sink received exactly all, rows sent', h.drainExact ? 'yes' : '**no**', b.drainExact ? 'yes' : '**no**', '', 'exact', met('drain delivers each message once')],
    ['batch: POST /api/notify/batch (1000 items), notifications/s', n(h.batchPerSec), '–', '', `≥ ${n(TARGETS.batchPerSec)}`, met('batch notifications/s')],
    [`accept-to-sent at ${h.latencyRate} msg/s: p50, ms`, n(h.latencyP50Ms), '–', '', `≤ ${TARGETS.latencyP50Ms}`, met('accept-to-sent p50')],
    [`accept-to-sent at ${h.latencyRate} msg/s: p99, ms`, n(h.latencyP99Ms), '–', '', '', ''],
    ['peak RSS: api process, MB', n(h.rssApiMb), '–', '', '', ''],
    ['peak RSS: worker process, MB', n(h.rssWorkerMb), '–', '', '', ''],
    ['peak RSS: all-in-one under the accept load, MB', n(h.rssAllInOneMb), '–', '', `≤ ${TARGETS.allInOneRssMb}`, met('all-in-one peak RSS')],
    ['all-in-one under the accept load, requests/s', n(h.allInOneRps), '–', '', '', ''],
    [
      `peak RSS: api under ${h.bigBatches.concurrent} concurrent ${n(h.bigBatches.bodyMb)} MB batches (${n(h.bigBatchRetries)} 503s retried), MB`,
      n(h.rssApiBigBatchesMb),
      '–',
      '',
      `≤ ${TARGETS.bigBatchRssMb}`,
      met('api peak RSS under large batches'),
    ],
  ];
  const header = ['measurement', 'Herald', 'baseline', 'Herald / baseline', 'target', 'met'];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(['---', '---:', '---:', '---:', '---', '---']), ...rows.map(line)].join('\n');
}

/** Where the CPU goes: ms per request or message in the app process, Postgres, Redis and the load generator/sink. */
export function cpuTable(summary: Summary): string {
  const { cpu } = summary;
  const row = (name: string, c: CpuCost) => `| ${name} | ${c.app} | ${c.postgres} | ${c.redis} | ${c.bench} | ${Math.round((c.app + c.postgres + c.redis + c.bench) * 1000) / 1000} |`;
  return [
    '| CPU ms per unit | app process | Postgres | Redis | bench (load, sink) | total |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('accept, Herald (per request)', cpu.heraldAccept),
    row('accept, baseline (per request)', cpu.baselineAccept),
    row('drain, Herald (per message)', cpu.heraldDrain),
    row('drain, baseline (per message)', cpu.baselineDrain),
    row('batch, Herald (per notification)', cpu.heraldBatch),
  ].join('\n');
}

import { join } from 'node:path';
import { runBenchmarkOnce, type RunResult } from '../../bench/harness';
import { markdownTable, summarize } from '../../bench/report';
import { TEST_REDIS_URL, TEST_SERVER_URL } from '../support/test-db';

// The benchmark itself (npm run bench) takes minutes; this runs the same harness with tiny
// loads, from the TypeScript sources, to show that it completes and counts correctly.
const ROOT = join(__dirname, '..', '..');
const tsNode = (file: string) => ['-r', 'ts-node/register/transpile-only', file];

describe('benchmark harness (smoke)', () => {
  let result: RunResult;

  beforeAll(async () => {
    result = await runBenchmarkOnce({
      cwd: ROOT,
      launchers: {
        herald: tsNode('services/main.ts'),
        baselineApi: tsNode('bench/baseline/api.ts'),
        baselineWorker: tsNode('bench/baseline/worker.ts'),
      },
      databaseServerUrl: TEST_SERVER_URL,
      redisUrl: TEST_REDIS_URL,
      warmup: { requests: 20 },
      accept: { requests: 200 },
      acceptConnections: 10,
      drainMessages: 200,
      batch: { requests: 2 },
      batchItems: 100,
      batchConnections: 1,
      latencyRatePerSec: 50,
      latencyMessages: 20,
      allInOne: { requests: 200 },
      bigBatches: { concurrent: 3, items: 20, itemBytes: 1000 },
      workerConcurrency: 10,
    });
  }, 120_000);

  it('accepts every request once, in Herald and in the baseline', () => {
    for (const accept of [result.herald.accept, result.baseline.accept]) {
      expect(accept.ok).toBe(200);
      expect(accept.non2xx + accept.errors).toBe(0);
      expect(accept.rows).toBe(200);
    }
    expect(result.herald.allInOneAccept.ok).toBe(200);
    expect(result.herald.bigBatches.accepted).toBe(3);
  });

  it('stores every notification of the batches', () => {
    expect(result.herald.batch.ok).toBe(2);
    expect(result.herald.batch.rows).toBe(200);
  });

  it('drains the queue with exactly one message at the sink per queued message', () => {
    for (const drain of [result.herald.drain, result.baseline.drain]) {
      expect(drain.sinkCount).toBe(200);
      expect(drain.sentRows).toBe(200);
      expect(drain.jobsLeft).toBe(0);
      expect(drain.deliveriesPerSec).toBeGreaterThan(0);
    }
  });

  it('times every latency message from POST to the sink and reads peak RSS', () => {
    expect(result.herald.latency.messages).toBe(20);
    expect(result.herald.latency.p50Ms).toBeGreaterThan(0);
    expect(result.herald.latency.p99Ms).toBeGreaterThanOrEqual(result.herald.latency.p50Ms);
    for (const mb of Object.values(result.herald.peakRssMb)) expect(mb).toBeGreaterThan(20);
  });

  it('summarises the run as a table', () => {
    const table = markdownTable(summarize([result]));
    expect(table).toContain('| accept: POST /api/notify, requests/s |');
    expect(table).toContain('| peak RSS: api under 3 concurrent ');
    expect(table.split('\n')).toHaveLength(16);
  });
});

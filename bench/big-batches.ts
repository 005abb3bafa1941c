import { Agent, request } from 'node:http';
import type { BenchProcess } from './bench-process';

/** Concurrent large batches against one api process: the memory of issue 19 (20 × 10 MB took it to 602 MB). */
export interface BigBatchLoad {
  /** Batches posted at once, each by its own client. */
  readonly concurrent: number;
  readonly items: number;
  /** Characters of `text` per item: 1000 items of 10,000 make a 10 MB body. */
  readonly itemBytes: number;
}

export interface BigBatchResult {
  readonly batches: number;
  readonly bodyMb: number;
  /** Batches answered 202 in the end (all of them, or the phase fails). */
  readonly accepted: number;
  /** 503 answers (the body budget was full), each retried after its Retry-After. */
  readonly retried503: number;
  readonly seconds: number;
  /** Peak RSS (VmHWM) of the api process over its whole life, read after the last batch; MB. */
  readonly peakRssMb: number;
}

const MB = 1024 * 1024;
/** How long all batches together may take, retries included. */
const DEADLINE_MS = 120_000;

function bigBody(keyPrefix: string, load: BigBatchLoad): Buffer {
  const text = 'x'.repeat(load.itemBytes);
  const items = Array.from({ length: load.items }, (_, i) => ({ idempotency_key: `${keyPrefix}-${i}`, to: 'bench@example.com', subject: 'Benchmark', text }));
  return Buffer.from(JSON.stringify({ items }));
}

function post(url: string, body: Buffer, token: string, agent: Agent): Promise<{ status: number; retryAfter: number | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${token}` },
        timeout: 60_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: retryAfter === undefined ? undefined : Number(retryAfter) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Posts `concurrent` batches at once to a fresh api process, retrying each 503 after its
 * Retry-After as a client should, until every batch is accepted; then reads the process's
 * peak RSS. The process must not have served anything else, or its peak says nothing.
 */
export async function bigBatchMemory(options: {
  readonly baseUrl: string;
  readonly token: string;
  readonly api: BenchProcess;
  readonly load: BigBatchLoad;
  readonly keyPrefix: string;
}): Promise<BigBatchResult> {
  const { load } = options;
  const bodies = Array.from({ length: load.concurrent }, (_, i) => bigBody(`${options.keyPrefix}-${i}`, load));
  const agent = new Agent({ keepAlive: true, maxSockets: load.concurrent });
  const started = Date.now();
  let accepted = 0;
  let retried503 = 0;
  const lane = async (body: Buffer) => {
    for (;;) {
      const { status, retryAfter } = await post(`${options.baseUrl}/api/notify/batch`, body, options.token, agent);
      if (status === 202) {
        accepted += 1;
        return;
      }
      if (status !== 503 || retryAfter === undefined || Date.now() - started > DEADLINE_MS) throw new Error(`big batch: HTTP ${status} after ${retried503} retries`);
      retried503 += 1;
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    }
  };
  try {
    await Promise.all(bodies.map(lane));
  } finally {
    agent.destroy();
  }
  const peak = options.api.peakRssBytes();
  return {
    batches: load.concurrent,
    bodyMb: Math.round(((bodies[0]?.length ?? 0) / MB) * 10) / 10,
    accepted,
    retried503,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    peakRssMb: peak === undefined ? Number.NaN : Math.round((peak / MB) * 10) / 10,
  };
}

import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** How long a load lasts: a duration, or a fixed number of requests (the smoke test). */
export type LoadSize = { readonly seconds: number } | { readonly requests: number };

export interface HttpLoadResult {
  /** Successful (2xx) requests per second. */
  readonly requestsPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly durationSec: number;
}

const NOTIFY_BODY = { to: 'bench@example.com', subject: 'Benchmark', text: 'Hello from the Herald benchmark.' };

function runAutocannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error === null ? resolve(result) : reject(error)));
  });
}

function sizeOptions(size: LoadSize): Pick<autocannon.Options, 'duration' | 'amount'> {
  return 'seconds' in size ? { duration: size.seconds } : { amount: size.requests };
}

function summarize(result: autocannon.Result, itemsPerRequest = 1): HttpLoadResult {
  return {
    requestsPerSec: (result['2xx'] * itemsPerRequest) / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationSec: result.duration,
  };
}

/** POST /api/notify under `connections` concurrent clients, each request with its own Idempotency-Key. */
export async function acceptLoad(options: {
  readonly baseUrl: string;
  readonly token?: string;
  readonly connections: number;
  readonly size: LoadSize;
  readonly keyPrefix: string;
  /** The notify body; the standard notification when absent. */
  readonly body?: unknown;
}): Promise<HttpLoadResult> {
  let counter = 0;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const result = await runAutocannon({
    url: options.baseUrl,
    connections: options.connections,
    timeout: 10,
    ...sizeOptions(options.size),
    requests: [
      {
        method: 'POST',
        path: '/api/notify',
        body: JSON.stringify(options.body ?? NOTIFY_BODY),
        setupRequest: (req) => ({ ...req, headers: { ...headers, 'idempotency-key': `${options.keyPrefix}-${(counter += 1)}` } }),
      },
    ],
  });
  return summarize(result);
}

/** Items for POST /api/notify/batch, each with a key no other item in the run uses. */
export function batchItems(keyPrefix: string, count: number): { idempotency_key: string; to: string; subject: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => ({ idempotency_key: `${keyPrefix}-${i}`, ...NOTIFY_BODY }));
}

/** POST /api/notify/batch with `items` notifications per request; the rate is notifications per second. */
export async function batchLoad(options: {
  readonly baseUrl: string;
  readonly token: string;
  readonly connections: number;
  readonly size: LoadSize;
  readonly items: number;
  readonly keyPrefix: string;
}): Promise<HttpLoadResult> {
  let counter = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  const result = await runAutocannon({
    url: options.baseUrl,
    connections: options.connections,
    timeout: 30,
    ...sizeOptions(options.size),
    requests: [
      {
        method: 'POST',
        path: '/api/notify/batch',
        headers,
        setupRequest: (req) => ({ ...req, headers: { ...headers }, body: JSON.stringify({ items: batchItems(`${options.keyPrefix}-${(counter += 1)}`, options.items) }) }),
      },
    ],
  });
  return summarize(result, options.items);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One POST with a JSON body; resolves with the status and parsed body. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers }, timeout: 30000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : undefined });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Sends `count` notifications at `ratePerSec`, one at a time on a schedule (not back to back),
 * and returns the id of each with the performance.now() at which its request started.
 */
export async function steadyNotify(options: {
  readonly baseUrl: string;
  readonly token: string;
  readonly ratePerSec: number;
  readonly count: number;
  readonly keyPrefix: string;
}): Promise<Map<string, number>> {
  const started = new Map<string, number>();
  const intervalMs = 1000 / options.ratePerSec;
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = performance.now();
    inFlight.push(
      postJson(`${options.baseUrl}/api/notify`, NOTIFY_BODY, { authorization: `Bearer ${options.token}`, 'idempotency-key': `${options.keyPrefix}-${i}` }).then(
        ({ status, body }) => {
          const id = (body as { id?: unknown } | undefined)?.id;
          if (status !== 202 || typeof id !== 'string') throw new Error(`latency request ${i}: HTTP ${status}`);
          started.set(id, at);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return started;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

import { once } from 'node:events';
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { freePort, type HeraldProcess, spawnHerald } from '../support/herald-process';
import { parseExposition, valueOf } from '../support/prom-text';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Issue 19, defect 5: with keep-alive clients posting, the api kept answering them after SIGTERM
// and exited only when they stopped. After SIGTERM it must answer /readyz 503, take no new
// connection, answer with `Connection: close`, and exit 0 within SHUTDOWN_TIMEOUT_MS.

const CLIENTS = 5;
const SHUTDOWN_TIMEOUT_MS = 4000;
const admin = `Bearer ${ADMIN_KEY}`;
const note = { to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' };

let t: TestApp;
const processes: HeraldProcess[] = [];

beforeAll(async () => {
  t = await startTestApp();
});

afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await t.close();
});

async function startApi(env: Record<string, string>): Promise<{ api: HeraldProcess; port: number }> {
  const port = await freePort();
  const api = spawnHerald(['serve', '--role', 'api'], {
    PORT: String(port),
    DATABASE_URL: t.config.databaseUrl,
    REDIS_URL: t.config.redisUrl,
    QUEUE_PREFIX: t.config.queuePrefix,
    HERALD_ADMIN_KEY: ADMIN_KEY,
    NOTIFY_RATE_LIMIT: '100000000',
    LOG_LEVEL: 'warn',
    ...env,
  });
  processes.push(api);
  await waitUntil(
    async () => {
      if (api.child.exitCode !== null) throw new Error(`api exited early:\n${api.lines.join('\n')}`);
      return fetch(`http://127.0.0.1:${port}/livez`).then(
        (res) => res.ok,
        () => false,
      );
    },
    { timeoutMs: 30000, intervalMs: 100, what: 'the api to listen' },
  );
  return { api, port };
}

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly body: string;
}

async function answerOf(req: ClientRequest): Promise<Answer> {
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, connection: res.headers.connection, body: Buffer.concat(chunks).toString('utf8') };
}

/** A POST /api/notify whose headers and first half of the body go out now; `finish()` sends the rest. */
function halfPost(port: number, key: string): { finish(): Promise<Answer>; closed: Promise<unknown> } {
  const body = Buffer.from(JSON.stringify({ ...note, text: 'x'.repeat(64 * 1024) }));
  const req = request({
    host: '127.0.0.1',
    port,
    path: '/api/notify',
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: admin, 'idempotency-key': key },
  });
  const answered = answerOf(req);
  answered.catch(() => undefined);
  const closed = new Promise((resolve) => req.once('close', resolve));
  req.on('error', () => undefined);
  req.write(body.subarray(0, body.length / 2));
  return {
    finish: () => {
      req.end(body.subarray(body.length / 2));
      return answered;
    },
    closed,
  };
}

/** The api's metrics: a round trip through its event loop, after which it has read what was sent before. */
async function bodyBytesInFlight(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return valueOf(parseExposition(text), 'herald_http_body_bytes_in_flight') ?? 0;
}

async function storedRows(): Promise<number> {
  const row = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

interface ClientTally {
  accepted: number;
  other: number;
}

/** Posts one notification after another on one keep-alive connection until the api closes it or `stopAt()` passes. */
async function postInALoop(port: number, name: string, tally: ClientTally, stopAt: () => number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify(note);
  try {
    for (let i = 0; Date.now() < stopAt(); i += 1) {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/api/notify',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: admin, 'idempotency-key': `${name}-${i}` },
      });
      req.end(body);
      let answer: Answer;
      try {
        answer = await answerOf(req);
      } catch {
        // Refused or reset: the api has stopped taking this client's requests.
        return;
      }
      if (answer.status === 202) tally.accepted += 1;
      else tally.other += 1;
    }
  } finally {
    agent.destroy();
  }
}

describe('SIGTERM on the api under keep-alive load', () => {
  it('drains: /readyz 503, Connection: close, no new connections, exit 0 within SHUTDOWN_TIMEOUT_MS, every answer stored', async () => {
    const { api, port } = await startApi({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), LOG_LEVEL: 'info' });
    const rowsBefore = await storedRows();
    let stopAt = Number.POSITIVE_INFINITY;
    const tallies = Array.from({ length: CLIENTS }, () => ({ accepted: 0, other: 0 }));
    const clients = tallies.map((tally, i) => postInALoop(port, `client-${i}`, tally, () => stopAt));
    await waitUntil(() => tallies.every((tally) => tally.accepted >= 10), { timeoutMs: 30000, what: 'every client to be answered' });

    // Two connections busy at SIGTERM: /readyz with half its headers sent, a POST with half its body.
    const readyz = connect(port, '127.0.0.1');
    await once(readyz, 'connect');
    readyz.write('GET /readyz HTTP/1.1\r\nHost: herald\r\n');
    const inFlight = halfPost(port, 'in-flight-at-sigterm');
    await waitUntil(async () => (await bodyBytesInFlight(port)) >= 32 * 1024, { what: 'the half-sent POST to be in flight' });

    const sigtermAt = Date.now();
    api.kill('SIGTERM');
    // A client still posting then is stopped by the test, so the old behaviour fails rather than hangs.
    stopAt = sigtermAt + SHUTDOWN_TIMEOUT_MS + 3000;
    await api.waitForLine(/"msg":"shutting down"/);

    const ready = await rawAnswer(readyz, '\r\n');
    expect(ready.status).toBe(503);
    expect(ready.headers).toMatch(/^connection: close$/im);
    expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });

    const late = await inFlight.finish();
    expect(late.status).toBe(202);
    expect(late.connection).toBe('close');

    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();

    const exit = await within(api.exited, SHUTDOWN_TIMEOUT_MS + 5000, 'the api to exit');
    const exitedAfterMs = Date.now() - sigtermAt;
    await Promise.all(clients);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(tallies.map((tally) => tally.other)).toEqual(tallies.map(() => 0));
    const answered = tallies.reduce((sum, tally) => sum + tally.accepted, 0) + 1;
    expect((await storedRows()) - rowsBefore).toBe(answered);
  });

  it('destroys a connection still open at SHUTDOWN_TIMEOUT_MS and exits 0', async () => {
    const timeoutMs = 1500;
    const { api, port } = await startApi({ SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    // Its client never sends the rest of the body.
    const stuck = halfPost(port, 'stuck-at-sigterm');
    await waitUntil(async () => (await bodyBytesInFlight(port)) >= 32 * 1024, { what: 'the half-sent POST to be in flight' });

    const sigtermAt = Date.now();
    api.kill('SIGTERM');
    await within(stuck.closed, timeoutMs + 5000, 'the api to close the stuck connection');
    const closedAfterMs = Date.now() - sigtermAt;
    const exit = await within(api.exited, 5000, 'the api to exit');
    const exitedAfterMs = Date.now() - sigtermAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeoutMs - 100);
    // Closing the pools after the deadline takes a moment; the grace periods in deploy/ leave room for it.
    expect(exitedAfterMs).toBeLessThan(timeoutMs + 2000);
    expect(api.lines.some((line) => /"forcedConnections":1\b/.test(line) && /connections still open at SHUTDOWN_TIMEOUT_MS were closed/.test(line))).toBe(true);
  });
});

/** Sends `rest` on a raw connection and reads one HTTP answer (Content-Length framed) from it. */
async function rawAnswer(socket: Socket, rest: string): Promise<{ status: number; headers: string; body: string }> {
  let received = '';
  const complete = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      const length = /^content-length: (\d+)$/im.exec(received.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && received.length >= end + 4 + Number(length)) resolve();
    });
    socket.once('close', () => reject(new Error(`connection closed after ${JSON.stringify(received)}`)));
  });
  socket.write(rest);
  await complete;
  socket.destroy();
  const end = received.indexOf('\r\n\r\n');
  return { status: Number(received.slice(9, 12)), headers: received.slice(0, end), body: received.slice(end + 4) };
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

import { once } from 'node:events';
import { type ClientRequest, createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseExposition, valueOf } from '../support/prom-text';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Issue 19, defect 6: the batch rate limit ran after the 10 MB body was parsed, and nothing
// bounded how many bodies were parsed at once. A client out of budget must be refused before
// it uploads its body, and past MAX_BODY_BYTES_IN_FLIGHT the api answers 503 with Retry-After.

const KB = 1024;
const MB = 1024 * KB;
/** How long an answer that needs no body may take; the server waiting for the body never answers. */
const ANSWER_DEADLINE_MS = 5000;

const note = { to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' };
const batchBody = (n: number, textBytes: number, tag: string) =>
  Buffer.from(JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ ...note, text: 't'.repeat(textBytes), idempotency_key: `${tag}-${i}` })) }));

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

/** A POST whose headers go out at once and whose body the test sends when it chooses. */
interface OpenPost {
  readonly req: ClientRequest;
  /** The answer, or a rejection if none came within `ANSWER_DEADLINE_MS` of asking. */
  answer(): Promise<Answer>;
}

function openPost(server: Server, path: string, headers: Record<string, string>, contentLength: number): OpenPost {
  const { port } = server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(contentLength), ...headers } });
  // A test that stops sending destroys the request; the answer is what counts.
  req.on('error', () => undefined);
  req.flushHeaders();
  const answered = once(req, 'response').then(async (args) => {
    const res = args[0] as IncomingMessage;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return { status: res.statusCode ?? 0, headers: res.headers, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  });
  answered.catch(() => undefined);
  return {
    req,
    answer: () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to POST ${path} within ${ANSWER_DEADLINE_MS} ms: the server is waiting for the body`)), ANSWER_DEADLINE_MS);
      });
      return Promise.race([answered, late]).finally(() => clearTimeout(timer));
    },
  };
}

async function listen(t: TestApp): Promise<Server> {
  const server = createServer(t.app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function bodyBytesInFlight(server: Server): Promise<number> {
  const { port } = server.address() as AddressInfo;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return valueOf(parseExposition(text), 'herald_http_body_bytes_in_flight') ?? Number.NaN;
}

async function storedWithKeyPrefix(t: TestApp, prefix: string): Promise<number> {
  const row = await t.database.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('idempotency_key', 'like', `${prefix}-%`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('the batch rate limit is charged before the body is read', () => {
  let t: TestApp;
  let server: Server;
  beforeAll(async () => {
    t = await startTestApp({ NOTIFY_RATE_LIMIT: '3' });
    server = await listen(t);
  });
  afterAll(async () => {
    await close(server);
    await t.close();
  });

  it('answers 429 to a client out of budget without waiting for its 8 MB body', async () => {
    const bearer = await t.bearerWith('notify:send');
    const spend = batchBody(3, 10, 'spent');
    const spent = openPost(server, '/api/notify/batch', { authorization: bearer }, spend.length);
    spent.req.end(spend);
    expect((await spent.answer()).status).toBe(202);

    const started = Date.now();
    const big = openPost(server, '/api/notify/batch', { authorization: bearer }, 8 * MB);
    const refused = await big.answer();
    big.req.destroy();
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(ANSWER_DEADLINE_MS);

    // A client that sends its whole body at once reads the 429 too; the server discards the body unparsed.
    const eager = openPost(server, '/api/notify/batch', { authorization: bearer }, 8 * MB);
    eager.req.end(Buffer.alloc(8 * MB, 0x20));
    expect((await eager.answer()).status).toBe(429);

    // The refused hit was given back: the counter stays at the three items.
    const [key] = await t.redis.keys(`${t.config.queuePrefix}:rate-limit:notify:*`);
    await waitUntil(async () => Number(await t.redis.get(key ?? '')) === 3, { what: 'the refund of the refused hit' });
  });

  it('still counts every item of a batch that fits, and refunds all of one that does not', async () => {
    const bearer = await t.bearerWith('notify:send');
    const two = batchBody(2, 10, 'fits');
    const fits = openPost(server, '/api/notify/batch', { authorization: bearer }, two.length);
    fits.req.end(two);
    const ok = await fits.answer();
    expect(ok.status).toBe(202);
    expect(ok.headers.ratelimit).toMatch(/^"notify"; r=1; t=\d+$/);

    const another = batchBody(2, 10, 'too-many');
    const tooMany = openPost(server, '/api/notify/batch', { authorization: bearer }, another.length);
    tooMany.req.end(another);
    expect((await tooMany.answer()).status).toBe(429);
    expect(await storedWithKeyPrefix(t, 'too-many')).toBe(0);

    const one = batchBody(1, 10, 'last');
    await waitUntil(
      async () => {
        const last = openPost(server, '/api/notify/batch', { authorization: bearer }, one.length);
        last.req.end(one);
        const answer = await last.answer();
        // The refund of the refused batch is asynchronous; until it lands the last item does not fit.
        return answer.status === 202 ? answer : undefined;
      },
      { what: 'the last item of the budget to be accepted' },
    );
  });
});

describe('MAX_BODY_BYTES_IN_FLIGHT', () => {
  let t: TestApp;
  let server: Server;
  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES_IN_FLIGHT: String(MB) });
    server = await listen(t);
  });
  afterAll(async () => {
    await close(server);
    await t.close();
  });

  it('answers 503 with Retry-After beyond the bound, unread, and takes bodies again once the earlier one is answered', async () => {
    const bearer = await t.bearerWith('notify:send');
    const first = batchBody(70, 10 * KB, 'first');
    const second = batchBody(40, 10 * KB, 'second');
    expect(first.length).toBeLessThan(MB);
    expect(first.length + second.length).toBeGreaterThan(MB);

    // The first batch is half uploaded and holds its bytes.
    const holding = openPost(server, '/api/notify/batch', { authorization: bearer }, first.length);
    holding.req.write(first.subarray(0, first.length / 2));
    await waitUntil(async () => (await bodyBytesInFlight(server)) === first.length, { what: 'the first body to take its bytes' });

    const refusedPost = openPost(server, '/api/notify/batch', { authorization: bearer }, second.length);
    const refused = await refusedPost.answer();
    refusedPost.req.destroy();
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    holding.req.end(first.subarray(first.length / 2));
    expect((await holding.answer()).status).toBe(202);
    await waitUntil(async () => (await bodyBytesInFlight(server)) === 0, { what: 'the first body to give its bytes back' });

    const retried = openPost(server, '/api/notify/batch', { authorization: bearer }, second.length);
    retried.req.end(second);
    expect((await retried.answer()).status).toBe(202);
    expect(await storedWithKeyPrefix(t, 'first')).toBe(70);
    expect(await storedWithKeyPrefix(t, 'second')).toBe(40);
  });

  it('lets a body larger than the whole bound through when nothing else is in flight', async () => {
    const bearer = await t.bearerWith('notify:send');
    const large = batchBody(150, 10 * KB, 'large');
    expect(large.length).toBeGreaterThan(MB);
    const post = openPost(server, '/api/notify/batch', { authorization: bearer }, large.length);
    post.req.end(large);
    expect((await post.answer()).status).toBe(202);
  });
});

import { createRedis, type Redis } from '../../services/platform/redis';
import { freePort, type HeraldProcess, spawnHerald } from '../support/herald-process';
import { createTestDatabase, type TestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-db';
import { waitUntil } from '../support/wait';

// Two API processes share one Redis: the contact limit holds per client IP across both, however
// the requests are spread, and every accepted request is exactly one stored row.

const LIMIT = 5;
const CLIENTS = 30;
const POSTS = 300;
const IN_FLIGHT = 60;
const READY_DEADLINE_MS = 45_000;

interface ApiProcess {
  readonly herald: HeraldProcess;
  readonly url: string;
}

let database: TestDatabase;
let redis: Redis;
const prefix = uniqueQueuePrefix();
const apis: ApiProcess[] = [];

function startApi(port: number): ApiProcess {
  // Only what the process needs; nothing from the test runner's environment leaks in.
  const herald = spawnHerald(['serve', '--role', 'api'], {
    PORT: String(port),
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    TRUST_PROXY: 'true',
    CONTACT_RATE_LIMIT: String(LIMIT),
    LOG_LEVEL: 'silent',
  });
  return { herald, url: `http://127.0.0.1:${port}` };
}

async function waitReady(api: ApiProcess): Promise<void> {
  const output = () => api.herald.lines.join('\n');
  await waitUntil(
    async () => {
      const { exitCode, signalCode } = api.herald.child;
      if (exitCode !== null || signalCode !== null) throw new Error(`api exited with ${exitCode ?? signalCode}: ${output()}`);
      return fetch(`${api.url}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
    },
    { timeoutMs: READY_DEADLINE_MS, intervalMs: 100, what: `api at ${api.url} to be ready`, detail: output },
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = createRedis(TEST_REDIS_URL);
  const ports = [await freePort(), await freePort()];
  for (const port of ports) apis.push(startApi(port));
  await Promise.all(apis.map(waitReady));
}, READY_DEADLINE_MS + 15_000);

afterAll(async () => {
  await Promise.all(apis.map((api) => api.herald.stop()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await database.destroy();
});

it(`holds ${LIMIT} per IP across two API processes for ${POSTS} posts from ${CLIENTS} IPs`, async () => {
  const posts = Array.from({ length: POSTS }, (_, i) => ({ ip: `198.51.100.${(i % CLIENTS) + 1}`, api: apis[i % apis.length] as ApiProcess, n: i }));
  const results: { ip: string; api: string; status: number }[] = [];
  // Many posts in flight at once, from every client to both processes, but bounded so a loaded
  // machine does not turn the test into a connection-limit test.
  const queue = [...posts];
  const sender = async () => {
    for (let post = queue.shift(); post !== undefined; post = queue.shift()) {
      const { ip, api, n } = post;
      const res = await fetch(`${api.url}/api/contact`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
        body: JSON.stringify({ name: `Visitor ${n}`, email: `visitor${n}@example.com`, message: `Message number ${n}` }),
      });
      await res.arrayBuffer();
      results.push({ ip, api: api.url, status: res.status });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
  expect(results).toHaveLength(POSTS);

  // Both processes took part in accepting and in refusing.
  for (const api of apis) {
    expect(results.filter((r) => r.api === api.url && r.status === 202).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.api === api.url && r.status === 429).length).toBeGreaterThan(0);
  }
  const perIp = new Map<string, { accepted: number; limited: number; other: number }>();
  for (const { ip, status } of results) {
    const tally = perIp.get(ip) ?? { accepted: 0, limited: 0, other: 0 };
    if (status === 202) tally.accepted += 1;
    else if (status === 429) tally.limited += 1;
    else tally.other += 1;
    perIp.set(ip, tally);
  }
  expect(perIp.size).toBe(CLIENTS);
  for (const [ip, tally] of perIp) {
    expect({ ip, ...tally }).toEqual({ ip, accepted: LIMIT, limited: POSTS / CLIENTS - LIMIT, other: 0 });
  }

  const accepted = results.filter((r) => r.status === 202).length;
  const stored = await database.db
    .selectFrom('messages')
    .select(['source_ip', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('source_ip')
    .execute();
  expect(stored.reduce((sum, row) => sum + Number(row.n), 0)).toBe(accepted);
  expect(stored).toHaveLength(CLIENTS);
  for (const row of stored) expect(Number(row.n)).toBe(LIMIT);
});

import { createRedis, type Redis } from '../../services/platform/redis';
import { ADMIN_KEY, adminBearer, JWT_SECRET } from '../support/fixtures';
import { freePort, type HeraldProcess, spawnHerald } from '../support/herald-process';
import { createTestDatabase, type TestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-db';
import { waitUntil } from '../support/wait';

// Two API processes share one Redis: failed logins count across both, so an attacker cannot
// double the budget by spreading guesses over replicas.

const READY_DEADLINE_MS = 45_000;
let database: TestDatabase;
let redis: Redis;
const prefix = uniqueQueuePrefix();
const apis: { herald: HeraldProcess; url: string }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  redis = createRedis(TEST_REDIS_URL);
  for (const port of [await freePort(), await freePort()]) {
    const herald = spawnHerald(['serve', '--role', 'api'], {
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      TRUST_PROXY: 'true',
      HERALD_ADMIN_KEY: ADMIN_KEY,
      JWT_SECRET,
      LOG_LEVEL: 'silent',
    });
    apis.push({ herald, url: `http://127.0.0.1:${port}` });
  }
  await Promise.all(
    apis.map((api) =>
      waitUntil(() => fetch(`${api.url}/readyz`).then((res) => res.status === 200, () => false), {
        timeoutMs: READY_DEADLINE_MS,
        intervalMs: 100,
        what: `api at ${api.url}`,
        detail: () => api.herald.lines.join('\n'),
      }),
    ),
  );
}, READY_DEADLINE_MS + 15_000);

afterAll(async () => {
  await Promise.all(apis.map((api) => api.herald.stop()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await database.destroy();
});

async function post(url: string, path: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

it('10 failed logins for one account, spread over two processes, close it on both', async () => {
  const [a, b] = apis.map((api) => api.url) as [string, string];
  const user = { username: 'spread', email: 'spread@users.example.com', password: 'correct horse battery staple', verified: true };
  expect((await post(a, '/api/admin/users', user, { Authorization: adminBearer })).status).toBe(201);
  for (let i = 0; i < 10; i += 1) {
    // Each guess from another address, so only the account's counter can close it.
    const res = await post(i % 2 === 0 ? a : b, '/api/auth/login', { login: 'spread', password: `wrong guess ${i}` }, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
    expect(res.status).toBe(401);
  }
  for (const url of [a, b]) {
    const res = await post(url, '/api/auth/login', { login: 'spread', password: user.password }, { 'X-Forwarded-For': '198.51.100.99' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  }
});

it('50 failures from one IP, for different accounts, close that IP on both processes', async () => {
  const [a, b] = apis.map((api) => api.url) as [string, string];
  const ip = '203.0.113.50';
  for (let i = 0; i < 50; i += 1) {
    const res = await post(i % 2 === 0 ? a : b, '/api/auth/login', { login: `nobody${i}`, password: 'wrong guess' }, { 'X-Forwarded-For': ip });
    expect(res.status).toBe(401);
  }
  for (const url of [a, b]) {
    const res = await post(url, '/api/auth/login', { login: 'someone-else', password: 'wrong guess' }, { 'X-Forwarded-For': ip });
    expect(res.status).toBe(429);
  }
  // Another address is not affected.
  expect((await post(a, '/api/auth/login', { login: 'someone-else', password: 'wrong guess' }, { 'X-Forwarded-For': '203.0.113.51' })).status).toBe(401);
});

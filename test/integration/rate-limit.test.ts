import { Writable } from 'node:stream';
import request from 'supertest';
import { createApiApp, createServices, openInfrastructure } from '../../services/app';
import { loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { notification, notificationBatch, visitor } from '../support/fixtures';
import { createTestDatabase, type TestDatabase, uniqueQueuePrefix } from '../support/test-db';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';


async function contactRows(t: TestApp): Promise<number> {
  const row = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('contact rate limit per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CONTACT_RATE_LIMIT: '3', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts the limit, then answers 429 problem+json with RateLimit headers and Retry-After, storing nothing', async () => {
    const from = (ip: string) => request(t.app).post('/api/contact').set('X-Forwarded-For', ip).send(visitor);
    for (let i = 0; i < 3; i += 1) {
      const ok = await from('203.0.113.1').expect(202);
      expect(ok.headers['ratelimit-policy']).toMatch(/^"contact"; q=3; w=60; pk=:/);
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"contact"; r=${2 - i}; t=\\d+$`));
    }
    const before = await contactRows(t);
    const limited = await from('203.0.113.1').expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, title: 'Too Many Requests', instance: '/api/contact', limit: 3, window_seconds: 60 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers.ratelimit).toMatch(/^"contact"; r=0; t=\d+$/);
    expect(await contactRows(t)).toBe(before);
    // Another client behind the same proxy has its own budget.
    await from('203.0.113.2').expect(202);
  });

  it('counts requests that fail validation, so garbage does not get a free pass', async () => {
    const from = () => request(t.app).post('/api/contact').set('X-Forwarded-For', '203.0.113.9');
    for (let i = 0; i < 3; i += 1) await from().send({ name: 'x' }).expect(422);
    await from().send(visitor).expect(429);
  });

  it('keeps its counters in Redis under the configured QUEUE_PREFIX', async () => {
    await request(t.app).post('/api/contact').set('X-Forwarded-For', '203.0.113.5').send(visitor).expect(202);
    const keys = await t.redis.keys(`${t.config.queuePrefix}:rate-limit:contact:*`);
    expect(keys).toEqual(expect.arrayContaining([`${t.config.queuePrefix}:rate-limit:contact:203.0.113.5`]));
    const ttl = await t.redis.pttl(`${t.config.queuePrefix}:rate-limit:contact:203.0.113.5`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('refunds rejected requests: the counter stays at the limit however often a client hammers', async () => {
    const from = () => request(t.app).post('/api/contact').set('X-Forwarded-For', '203.0.113.7').send(visitor);
    const key = `${t.config.queuePrefix}:rate-limit:contact:203.0.113.7`;
    for (let i = 0; i < 3; i += 1) await from().expect(202);
    await Promise.all(Array.from({ length: 10 }, () => from().expect(429)));
    const counter = async () => Number(await t.redis.get(key));
    await waitUntil(async () => (await counter()) === 3, { timeoutMs: 2000, what: 'the counter of 203.0.113.7 to be back at 3' });
    expect(await counter()).toBe(3);
  });

  it('groups IPv6 clients by /56', async () => {
    const from = (ip: string) => request(t.app).post('/api/contact').set('X-Forwarded-For', ip).send(visitor);
    await from('2001:db8:1:100::1').expect(202);
    await from('2001:db8:1:1ff::2').expect(202);
    await from('2001:db8:1:1aa::3').expect(202);
    await from('2001:db8:1:100::4').expect(429);
    await from('2001:db8:2::1').expect(202);
  });
});

describe('TRUST_PROXY=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CONTACT_RATE_LIMIT: '2', TRUST_PROXY: 'false' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('ignores X-Forwarded-For, so a client cannot buy a fresh budget by inventing addresses', async () => {
    await request(t.app).post('/api/contact').set('X-Forwarded-For', '198.51.100.1').send(visitor).expect(202);
    await request(t.app).post('/api/contact').set('X-Forwarded-For', '198.51.100.2').send(visitor).expect(202);
    await request(t.app).post('/api/contact').set('X-Forwarded-For', '198.51.100.3').send(visitor).expect(429);
  });
});

describe('notify rate limit per API key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NOTIFY_RATE_LIMIT: '10' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives each key its own budget, counts batch items, and refunds a batch that does not fit', async () => {
    const a = await t.bearerWith('notify:send');
    const b = await t.bearerWith('notify:send');
    const batch = (bearer: string, n: number, tag: string) => request(t.app).post('/api/notify/batch').set('Authorization', bearer).send({ items: notificationBatch(n, tag) });
    const single = (bearer: string) => request(t.app).post('/api/notify').set('Authorization', bearer).send(notification);

    const first = await batch(a, 8, 'a1').expect(202);
    expect(first.body.accepted).toBe(8);
    expect(first.headers.ratelimit).toMatch(/^"notify"; r=2; t=\d+$/);

    const tooBig = await batch(a, 3, 'a2').expect(429);
    expect(tooBig.body.title).toBe('Too Many Requests');
    expect(tooBig.headers['retry-after']).toBeDefined();
    const stored = await t.database.db.selectFrom('messages').select('idempotency_key').where('idempotency_key', 'like', 'a2-%').execute();
    expect(stored).toHaveLength(0);

    // The refused batch took nothing: two single sends still fit.
    await waitForCounter(t, 'notify', 8);
    await single(a).expect(202);
    await single(a).expect(202);
    await single(a).expect(429);

    // Key b is untouched by a's use.
    await batch(b, 10, 'b1').expect(202);
    await single(b).expect(429);
  });

  it('does not limit requests that fail authentication (they never reach the limiter)', async () => {
    for (let i = 0; i < 12; i += 1) await request(t.app).post('/api/notify').set('Authorization', 'Bearer hrld_unknown').send(notification).expect(401);
  });
});

/** Waits until one of the limiter's counters under the app's prefix reads `expected`. */
async function waitForCounter(t: TestApp, name: string, expected: number): Promise<void> {
  const keys = await t.redis.keys(`${t.config.queuePrefix}:rate-limit:${name}:*`);
  const counters = async () => (await Promise.all(keys.map((k) => t.redis.get(k)))).map(Number);
  await waitUntil(async () => (await counters()).includes(expected), { timeoutMs: 2000, what: `a ${name} counter at ${expected}` });
}

describe('when Redis is unreachable', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('fails open: contact posts are still accepted and stored, and a warning is logged', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = loadConfig({
      DATABASE_URL: database.url,
      // Nothing listens on port 1.
      REDIS_URL: 'redis://127.0.0.1:1',
      QUEUE_PREFIX: uniqueQueuePrefix(),
      CONTACT_RATE_LIMIT: '1',
      LOG_LEVEL: 'warn',
    });
    const infra = openInfrastructure(config, createLogger({ level: config.logLevel, role: 'test' }, sink), { dbPoolSize: 2 });
    try {
      const app = createApiApp(infra, createServices(infra));
      for (let i = 0; i < 3; i += 1) {
        const res = await request(app).post('/api/contact').send(visitor);
        expect(res.status).toBe(202);
        expect(res.headers.ratelimit).toBeUndefined();
      }
      const rows = await database.db.selectFrom('messages').select('status').execute();
      expect(rows).toHaveLength(3);
      const warnings = lines.map((line) => JSON.parse(line) as { level: number; limiter?: string; msg: string });
      const limiterWarnings = warnings.filter((w) => w.limiter === 'contact');
      // Logged, but not once per request.
      expect(limiterWarnings).toHaveLength(1);
      expect(limiterWarnings[0]?.level).toBe(40);
    } finally {
      await infra.close();
    }
  });
});

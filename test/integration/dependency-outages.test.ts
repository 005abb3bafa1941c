import type { Express } from 'express';
import request from 'supertest';
import { createApiApp, createServices, type Infrastructure, openInfrastructure } from '../../services/app';
import { loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { ADMIN_KEY, adminBearer, JWT_SECRET, notification, visitor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// Ports nothing listens on: connections are refused at once.
const DEAD_REDIS_URL = 'redis://127.0.0.1:6390';
const DEAD_DATABASE_URL = 'postgres://root@127.0.0.1:5499/x';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});


/** A second API instance sharing the test's database and queue prefix, with one dependency swapped. */
function appWith(env: Record<string, string>): { app: Express; infra: Infrastructure } {
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_URL: t.config.redisUrl,
    QUEUE_PREFIX: t.config.queuePrefix,
    HERALD_ADMIN_KEY: ADMIN_KEY,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const infra = openInfrastructure(config, createLogger({ level: 'silent', role: 'test' }), { dbPoolSize: 2 });
  return { app: createApiApp(infra, createServices(infra)), infra };
}

async function jobCount(): Promise<number> {
  const counts = await t.infra.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

describe('Redis unreachable at accept time', () => {
  let broken: { app: Express; infra: Infrastructure };
  beforeAll(() => {
    broken = appWith({ REDIS_URL: DEAD_REDIS_URL });
  });
  afterAll(async () => {
    await broken.infra.close();
  });

  it('still answers 202 for a contact message, saying what the row says: pending', async () => {
    const started = Date.now();
    const res = await request(broken.app).post('/api/contact').set('Idempotency-Key', 'redis-down-contact').send(visitor).expect(202);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.body).toMatchObject({ id: expect.any(String), status: 'pending' });
    const row = await t.database.db.selectFrom('messages').select('status').where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    expect(await t.infra.queue.getJob(res.body.id)).toBeUndefined();
  });

  it('still answers 202 for a notification and a batch, leaving the rows pending', async () => {
    const single = await request(broken.app).post('/api/notify').set('Authorization', adminBearer).send(notification).expect(202);
    // The answer says what the row says (it used to claim `queued`).
    expect(single.body.status).toBe('pending');
    const batch = await request(broken.app)
      .post('/api/notify/batch')
      .set('Authorization', adminBearer)
      .send({ items: [{ ...notification, idempotency_key: 'redis-down-1' }, { ...notification, idempotency_key: 'redis-down-2' }] })
      .expect(202);
    const ids = [single.body.id, ...batch.body.results.map((r: { id: string }) => r.id)];
    const rows = await t.database.db.selectFrom('messages').select('status').where('id', 'in', ids).execute();
    expect(rows.map((row) => row.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('reports not ready', async () => {
    const res = await request(broken.app).get('/readyz').expect(503);
    expect(res.body.checks).toMatchObject({ database: true, redis: false });
  });

  it('enqueues a pending row when the same request is replayed once Redis is back', async () => {
    const pending = await request(broken.app).post('/api/contact').set('Idempotency-Key', 'redis-back-contact').send(visitor).expect(202);
    expect(pending.body.status).toBe('pending');
    const res = await request(t.app).post('/api/contact').set('Idempotency-Key', 'redis-back-contact').send(visitor).expect(202);
    expect(res.headers['idempotent-replayed']).toBe('true');
    expect(res.body.id).toBe(pending.body.id);
    const job = await t.infra.queue.getJob(res.body.id);
    expect(job?.data).toEqual({ id: res.body.id, kind: 'contact' });
  });
});

describe('Postgres unreachable', () => {
  let broken: { app: Express; infra: Infrastructure };
  beforeAll(() => {
    broken = appWith({ DATABASE_URL: DEAD_DATABASE_URL });
  });
  afterAll(async () => {
    await broken.infra.close();
  });

  const cases: [string, () => request.Test][] = [
    ['a contact message', () => request(broken.app).post('/api/contact').send(visitor)],
    ['a notification with the admin key', () => request(broken.app).post('/api/notify').set('Authorization', adminBearer).send(notification)],
    ['a notification with an API key (the key lookup itself fails)', () => request(broken.app).post('/api/notify').set('Authorization', 'Bearer hrld_someKeyThatNeedsTheDatabase').send(notification)],
    ['a batch', () => request(broken.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: [{ ...notification, idempotency_key: 'pg-down' }] })],
    ['a list', () => request(broken.app).get('/api/notify').set('Authorization', adminBearer)],
  ];
  it.each(cases)('answers 503 problem+json for %s', async (_name, send) => {
    const started = Date.now();
    const res = await send();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  it('enqueued nothing', async () => {
    const jobsBefore = await jobCount();
    for (const [, send] of cases) expect((await send()).status).toBe(503);
    expect(await jobCount()).toBe(jobsBefore);
  });

  it('reports not ready', async () => {
    const res = await request(broken.app).get('/readyz').expect(503);
    expect(res.body.checks).toMatchObject({ database: false, redis: true });
  });
});

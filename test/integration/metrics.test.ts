import request from 'supertest';
import { createDeliveryQueue, type DeliveryQueue } from '../../services/platform/queue';
import { oldestWaitingJobAgeSeconds } from '../../services/platform/queue-stats';
import { createWorkerHttpApp } from '../../workers/worker-http';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { parseExposition, type Sample, samplesOf, valueOf } from '../support/prom-text';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app';
import { uniqueQueuePrefix } from '../support/test-db';
import { waitUntil } from '../support/wait';

const admin = `Bearer ${ADMIN_KEY}`;
let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    RETRY_BASE_DELAY_MS: '20',
    SWEEPER_INTERVAL_MS: '100',
    SWEEPER_GRACE_MS: '200',
  });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

async function scrape(app = t.app): Promise<Sample[]> {
  const res = await request(app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return parseExposition(res.text);
}

function waitForSent(table: 'notification' | 'contact', id: string) {
  return waitUntil(
    async () => {
      const row = await t.database.db.selectFrom('messages').where('kind', '=', table).select('status').where('id', '=', id).executeTakeFirstOrThrow();
      return row.status === 'sent';
    },
    { what: `${table} ${id} to be sent` },
  );
}

describe('/metrics on the api', () => {
  let contactId: string;
  let notificationId: string;

  beforeAll(async () => {
    contactId = (await request(t.app).post('/api/contact').send({ name: 'Ada', email: 'ada@example.com', message: 'Hello' }).expect(202)).body.id;
    notificationId = (
      await request(t.app).post('/api/notify').set('Authorization', admin).send({ to: ['ops@example.com'], subject: 'Metrics', text: 'body' }).expect(202)
    ).body.id;
    await waitForSent('contact', contactId);
    await waitForSent('notification', notificationId);
  });

  it('counts accepted messages by kind, and not their replays', async () => {
    const key = 'metrics-replay-1';
    const body = { to: ['ops@example.com'], subject: 'Once', text: 'once' };
    const first = await request(t.app).post('/api/notify').set('Authorization', admin).set('Idempotency-Key', key).send(body).expect(202);
    const before = valueOf(await scrape(), 'herald_messages_accepted_total', { kind: 'notification' });
    await request(t.app).post('/api/notify').set('Authorization', admin).set('Idempotency-Key', key).send(body).expect(202);
    const samples = await scrape();
    expect(valueOf(samples, 'herald_messages_accepted_total', { kind: 'notification' })).toBe(before);
    expect(valueOf(samples, 'herald_messages_accepted_total', { kind: 'notification' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'herald_messages_accepted_total', { kind: 'contact' })).toBeGreaterThanOrEqual(1);
    await waitForSent('notification', first.body.id);
  });

  it('counts deliveries and their duration per provider and outcome', async () => {
    const samples = await scrape();
    expect(valueOf(samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'permanent' })).toBe(0);
    expect(valueOf(samples, 'herald_delivery_duration_seconds_count', { provider: 'smtp' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'herald_delivery_duration_seconds_bucket', { provider: 'smtp', le: '+Inf' })).toBeGreaterThanOrEqual(2);
  });

  it('counts a permanent failure under its outcome', async () => {
    sink.rejectNextRecipients(1, 550);
    const res = await request(t.app).post('/api/notify').set('Authorization', admin).send({ to: ['nobody@example.com'], subject: 'Bounce', text: 'x' }).expect(202);
    await waitUntil(async () => {
      const row = await t.database.db.selectFrom('messages').select('status').where('id', '=', res.body.id).executeTakeFirstOrThrow();
      return row.status === 'failed';
    });
    expect(valueOf(await scrape(), 'herald_deliveries_total', { provider: 'smtp', outcome: 'permanent' })).toBe(1);
  });

  it('labels requests with the route template, never the raw path', async () => {
    await request(t.app).get(`/api/notify/${notificationId}`).set('Authorization', admin).expect(200);
    await request(t.app).get(`/api/contact/${contactId}`).set('Authorization', admin).expect(200);
    await request(t.app).get('/no/such/path/12345').expect(404);
    const samples = await scrape();
    const routes = new Set(samplesOf(samples, 'http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes]).toEqual(expect.arrayContaining(['/api/contact', '/api/notify', '/api/notify/:id', '/api/contact/:id', 'unmatched']));
    expect([...routes].filter((route) => route?.includes(notificationId) === true || route?.includes('12345') === true)).toEqual([]);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/contact', status_code: '202' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/notify/:id', status_code: '200' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('reads the queue, the oldest waiting job and the live workers on scrape', async () => {
    const samples = await scrape();
    for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed']) {
      expect(valueOf(samples, 'herald_queue_jobs', { state })).toEqual(expect.any(Number));
    }
    expect(valueOf(samples, 'herald_queue_jobs', { state: 'completed' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'herald_oldest_waiting_job_age_seconds')).toBe(0);
    expect(valueOf(samples, 'herald_live_workers')).toBe(1);
  });

  it('shows each provider circuit, 1 while it is open', async () => {
    expect(valueOf(await scrape(), 'herald_provider_circuit_open', { provider: 'smtp' })).toBe(0);
    for (let i = 0; i < 5; i += 1) worker.breaker.recordFailure('smtp');
    try {
      expect(valueOf(await scrape(), 'herald_provider_circuit_open', { provider: 'smtp' })).toBe(1);
    } finally {
      worker.breaker.recordSuccess('smtp');
    }
    expect(valueOf(await scrape(), 'herald_provider_circuit_open', { provider: 'smtp' })).toBe(0);
  });

  it('counts messages the sweeper hands back to the queue', async () => {
    const res = await request(t.app).post('/api/contact').send({ name: 'Lost', email: 'lost@example.com', message: 'job lost' }).expect(202);
    await waitForSent('contact', res.body.id);
    // As if Redis had lost the job of a row that never left `pending`.
    await t.infra.queue.remove(res.body.id);
    await t.database.db
      .updateTable('messages')
      .set({ status: 'pending', updated_at: new Date(Date.now() - 60_000) })
      .where('id', '=', res.body.id)
      .execute();
    await waitForSent('contact', res.body.id);
    const requeued = await waitUntil(async () => {
      const value = valueOf(await scrape(), 'herald_sweeper_requeued_total', { reason: 'missing_job' }) ?? 0;
      return value >= 1 ? value : undefined;
    });
    expect(requeued).toBeGreaterThanOrEqual(1);
    expect(valueOf(await scrape(), 'herald_sweeper_requeued_total', { reason: 'expired_lease' })).toBe(0);
  });

  it('includes the default process metrics', async () => {
    const names = new Set((await scrape()).map((s) => s.name));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(names).toContain(name);
    }
  });

  it('serves the same registry on the worker http server, beside /livez and /readyz', async () => {
    const app = createWorkerHttpApp(t.infra);
    await request(app).get('/livez').expect(200);
    await request(app).get('/readyz').expect(200);
    const samples = await scrape(app);
    expect(valueOf(samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' })).toBeGreaterThanOrEqual(2);
  });
});

describe('herald_oldest_waiting_job_age_seconds', () => {
  let queue: DeliveryQueue;
  beforeAll(() => {
    queue = createDeliveryQueue(t.redis, uniqueQueuePrefix());
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('is the age of the oldest runnable job, waiting or prioritized', async () => {
    const now = Date.now();
    expect(await oldestWaitingJobAgeSeconds(queue, now)).toBe(0);
    const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    await queue.add('deliver', { id: id(1), kind: 'contact' }, { jobId: id(1), timestamp: now - 30_000 });
    await queue.add('deliver', { id: id(2), kind: 'contact' }, { jobId: id(2), timestamp: now - 10_000 });
    expect(await oldestWaitingJobAgeSeconds(queue, now)).toBeCloseTo(30, 0);
    await queue.add('deliver', { id: id(3), kind: 'notification' }, { jobId: id(3), timestamp: now - 400_000, priority: 2 });
    expect(await oldestWaitingJobAgeSeconds(queue, now)).toBeCloseTo(400, 0);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let secured: TestApp;
  beforeAll(async () => {
    secured = await startTestApp({ METRICS_TOKEN: 'scrape-token-0123456789' });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('answers 401 without the token or with a wrong one', async () => {
    const missing = await request(secured.app).get('/metrics').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    await request(secured.app).get('/metrics').set('Authorization', 'Bearer wrong-token').expect(401);
    // The admin key is not the metrics token.
    await request(secured.app).get('/metrics').set('Authorization', admin).expect(401);
  });

  it('serves the metrics with the token as bearer, on the api and the worker http server', async () => {
    const res = await request(secured.app).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789').expect(200);
    expect(parseExposition(res.text).some((s) => s.name === 'herald_live_workers')).toBe(true);
    const workerApp = createWorkerHttpApp(secured.infra);
    await request(workerApp).get('/metrics').expect(401);
    await request(workerApp).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789').expect(200);
    // Probes stay public.
    await request(workerApp).get('/livez').expect(200);
  });
});

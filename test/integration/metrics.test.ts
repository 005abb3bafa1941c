import request from 'supertest';
import { createDeliveryQueue, type DeliveryQueue } from '../../services/platform/queue';
import { oldestWaitingJobAgeSeconds } from '../../services/platform/queue-stats';
import { createWorkerHttpApp } from '../../workers/worker-http';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer, bearer, notification, visitor } from '../support/fixtures';
import { parseExposition, type Sample, samplesOf, valueOf } from '../support/prom-text';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { uniqueQueuePrefix } from '../support/test-db';
import { waitUntil } from '../support/wait';

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

/** The value of a series that must be in the scrape. */
function series(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const value = valueOf(samples, name, labels);
  if (value === undefined) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`);
  return value;
}

/** How much a series grew from one scrape to a later one; a series not yet in the first counts from 0. */
function growth(before: readonly Sample[], after: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return series(after, name, labels) - (valueOf(before, name, labels) ?? 0);
}

/** Scrapes until the series has grown by at least `by` since `before`, and returns that scrape. */
function scrapeOnceGrown(before: readonly Sample[], name: string, labels: Record<string, string>, by: number, app = t.app): Promise<Sample[]> {
  return waitUntil(
    async () => {
      const samples = await scrape(app);
      return (valueOf(samples, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0) >= by ? samples : undefined;
    },
    { what: `${name} ${JSON.stringify(labels)} to grow by ${by}` },
  );
}

function waitForStatus(table: 'notification' | 'contact', id: string, status: 'sent' | 'failed') {
  return waitUntil(
    async () => {
      const row = await t.database.db.selectFrom('messages').where('kind', '=', table).select('status').where('id', '=', id).executeTakeFirstOrThrow();
      return row.status === status;
    },
    { what: `${table} ${id} to be ${status}` },
  );
}

function waitForSent(table: 'notification' | 'contact', id: string) {
  return waitForStatus(table, id, 'sent');
}

/** Posts a contact message and a notification and waits until the worker sent both; the test that calls it owns them. */
async function sendOneOfEach(): Promise<{ contactId: string; notificationId: string }> {
  const contactId = (await request(t.app).post('/api/contact').send(visitor).expect(202)).body.id as string;
  const notificationId = (await request(t.app).post('/api/notify').set('Authorization', adminBearer).send(notification).expect(202)).body.id as string;
  await waitForSent('contact', contactId);
  await waitForSent('notification', notificationId);
  return { contactId, notificationId };
}

// The tests below share one app and one worker, whose counters only grow: each test reads how
// much the series it cares about grew between its own scrapes, never a total earlier tests added to.
describe('/metrics on the api', () => {
  it('counts accepted messages by kind, and not their replays', async () => {
    const key = 'metrics-replay-1';
    const before = await scrape();
    const first = await request(t.app).post('/api/notify').set('Authorization', adminBearer).set('Idempotency-Key', key).send(notification).expect(202);
    const contact = await request(t.app).post('/api/contact').send(visitor).expect(202);
    const accepted = await scrape();
    expect(growth(before, accepted, 'herald_messages_accepted_total', { kind: 'notification' })).toBe(1);
    expect(growth(before, accepted, 'herald_messages_accepted_total', { kind: 'contact' })).toBe(1);
    await request(t.app).post('/api/notify').set('Authorization', adminBearer).set('Idempotency-Key', key).send(notification).expect(202);
    expect(growth(accepted, await scrape(), 'herald_messages_accepted_total', { kind: 'notification' })).toBe(0);
    await waitForSent('notification', first.body.id);
    await waitForSent('contact', contact.body.id);
  });

  it('counts deliveries and their duration per provider and outcome', async () => {
    const before = await scrape();
    await sendOneOfEach();
    const samples = await scrapeOnceGrown(before, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' }, 2);
    expect(growth(before, samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' })).toBe(2);
    expect(growth(before, samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'permanent' })).toBe(0);
    expect(growth(before, samples, 'herald_delivery_duration_seconds_count', { provider: 'smtp' })).toBe(2);
    expect(growth(before, samples, 'herald_delivery_duration_seconds_bucket', { provider: 'smtp', le: '+Inf' })).toBe(2);
  });

  it('counts a permanent failure under its outcome', async () => {
    const before = await scrape();
    sink.rejectNextRecipients(1, 550);
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ ...notification, to: ['nobody@example.com'] }).expect(202);
    await waitForStatus('notification', res.body.id, 'failed');
    const samples = await scrapeOnceGrown(before, 'herald_deliveries_total', { provider: 'smtp', outcome: 'permanent' }, 1);
    expect(growth(before, samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'permanent' })).toBe(1);
  });

  it('labels requests with the route template, never the raw path', async () => {
    const before = await scrape();
    const { contactId, notificationId } = await sendOneOfEach();
    await request(t.app).get(`/api/notify/${notificationId}`).set('Authorization', adminBearer).expect(200);
    await request(t.app).get(`/api/contact/${contactId}`).set('Authorization', adminBearer).expect(200);
    await request(t.app).get('/no/such/path/12345').expect(404);
    const samples = await scrape();
    const routes = new Set(samplesOf(samples, 'http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes]).toEqual(expect.arrayContaining(['/api/contact', '/api/notify', '/api/notify/:id', '/api/contact/:id', 'unmatched']));
    expect([...routes].filter((route) => route?.includes(notificationId) === true || route?.includes('12345') === true)).toEqual([]);
    expect(growth(before, samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/contact', status_code: '202' })).toBe(1);
    expect(growth(before, samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/notify', status_code: '202' })).toBe(1);
    expect(growth(before, samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/notify/:id', status_code: '200' })).toBe(1);
    expect(growth(before, samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/contact/:id', status_code: '200' })).toBe(1);
    expect(growth(before, samples, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('reads the queue, the oldest waiting job and the live workers on scrape', async () => {
    const before = await scrape();
    await sendOneOfEach();
    // A job completes just after its row is marked sent.
    const samples = await scrapeOnceGrown(before, 'herald_queue_jobs', { state: 'completed' }, 2);
    for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed']) {
      expect(valueOf(samples, 'herald_queue_jobs', { state })).toEqual(expect.any(Number));
    }
    expect(growth(before, samples, 'herald_queue_jobs', { state: 'completed' })).toBe(2);
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
    const before = await scrape();
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
    const samples = await scrapeOnceGrown(before, 'herald_sweeper_requeued_total', { reason: 'missing_job' }, 1);
    expect(growth(before, samples, 'herald_sweeper_requeued_total', { reason: 'missing_job' })).toBeGreaterThanOrEqual(1);
    expect(growth(before, samples, 'herald_sweeper_requeued_total', { reason: 'expired_lease' })).toBe(0);
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
    const before = await scrape(app);
    await sendOneOfEach();
    const samples = await scrapeOnceGrown(before, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' }, 2, app);
    expect(growth(before, samples, 'herald_deliveries_total', { provider: 'smtp', outcome: 'sent' })).toBe(2);
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
  const METRICS_TOKEN = 'scrape-token-0123456789';
  let secured: TestApp;
  beforeAll(async () => {
    secured = await startTestApp({ METRICS_TOKEN });
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
    await request(secured.app).get('/metrics').set('Authorization', adminBearer).expect(401);
  });

  it('serves the metrics with the token as bearer, on the api and the worker http server', async () => {
    const res = await request(secured.app).get('/metrics').set('Authorization', bearer(METRICS_TOKEN)).expect(200);
    expect(parseExposition(res.text).some((s) => s.name === 'herald_live_workers')).toBe(true);
    const workerApp = createWorkerHttpApp(secured.infra);
    await request(workerApp).get('/metrics').expect(401);
    await request(workerApp).get('/metrics').set('Authorization', bearer(METRICS_TOKEN)).expect(200);
    // Probes stay public.
    await request(workerApp).get('/livez').expect(200);
  });
});

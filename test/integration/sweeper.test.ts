import request from 'supertest';
import { createApiApp, createServices, openInfrastructure, type Infrastructure } from '../../services/app';
import { loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

let sink: SmtpSink;
let t: TestApp;
let offline: Infrastructure;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, SWEEPER_INTERVAL_MS: '100', SWEEPER_GRACE_MS: '200', LEASE_MS: '1000' });
  // The same database, but a Redis nobody listens on: what the API sees while Redis is down.
  const config = loadConfig({ DATABASE_URL: t.config.databaseUrl, REDIS_URL: 'redis://127.0.0.1:6390', QUEUE_PREFIX: t.config.queuePrefix, LOG_LEVEL: 'silent' });
  offline = openInfrastructure(config, createLogger({ level: 'silent', role: 'test' }));
});

afterAll(async () => {
  await offline.close();
  await t.close();
  await sink.close();
});

const rowOf = (id: string) => t.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('sweeper', () => {
  let worker: WorkerRuntime | undefined;
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it('delivers a message accepted while Redis was down once a worker runs', async () => {
    const app = createApiApp(offline, createServices(offline));
    const res = await request(app).post('/api/contact').send({ name: 'Offline', email: 'off@example.com', message: 'queued while down' }).expect(202);
    expect((await rowOf(res.body.id)).status).toBe('pending');
    expect(await t.infra.queue.getJob(res.body.id)).toBeUndefined();

    worker = await startWorkerRuntime(t.infra);
    const sent = await waitUntil(async () => ((await rowOf(res.body.id)).status === 'sent' ? rowOf(res.body.id) : undefined), { what: 'the swept message to be sent' });
    expect(sent.provider).toBe('smtp');
    expect(sink.messages.some((m) => m.parsed.messageId?.startsWith(`<${res.body.id}@`))).toBe(true);
  });

  it('re-enqueues a queued row whose job Redis lost, and reclaims a row whose worker died mid-send', async () => {
    const lost = await request(t.app).post('/api/contact').send({ name: 'Lost', email: 'lost@example.com', message: 'job vanished' }).expect(202);
    await t.infra.queue.remove(lost.body.id);
    const stuck = await request(t.app).post('/api/contact').send({ name: 'Stuck', email: 'stuck@example.com', message: 'worker died' }).expect(202);
    await t.infra.queue.remove(stuck.body.id);
    await t.database.db
      .updateTable('messages')
      .set({ status: 'sending', lease_until: new Date(Date.now() - 1000) })
      .where('id', '=', stuck.body.id)
      .execute();

    worker = await startWorkerRuntime(t.infra);
    for (const id of [lost.body.id as string, stuck.body.id as string]) {
      await waitUntil(async () => (await rowOf(id)).status === 'sent', { what: `${id} to be sent` });
    }
  });

  it('sweeps on one replica at a time', async () => {
    worker = await startWorkerRuntime(t.infra);
    const reports = await Promise.all([worker.sweeper.sweep(), worker.sweeper.sweep(), worker.sweeper.sweep()]);
    expect(reports.filter((r) => r.ran).length).toBeGreaterThanOrEqual(1);
  });
});

describe('/healthz and workers', () => {
  it('turns 503 when the last worker stops', async () => {
    const worker = await startWorkerRuntime(t.infra);
    const up = await request(t.app).get('/healthz').expect(200);
    expect(up.body.checks.workers).toEqual({ status: 'ok', live: 1 });
    await worker.stop();
    const down = await request(t.app).get('/healthz').expect(503);
    expect(down.body).toMatchObject({ status: 'unhealthy', checks: { database: { status: 'ok' }, redis: { status: 'ok' }, workers: { status: 'down', live: 0 } } });
  });

  it('answers /readyz 503 and /healthz 503 when Redis is unreachable, /livez stays 200', async () => {
    const app = createApiApp(offline, createServices(offline));
    await request(app).get('/livez').expect(200);
    const ready = await request(app).get('/readyz').expect(503);
    expect(ready.body.checks).toEqual({ database: true, redis: false });
    const health = await request(app).get('/healthz').expect(503);
    expect(health.body.checks.redis.status).toBe('down');
  });
});

import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import { adminBearer, notificationBatch } from '../support/fixtures';
import { freePort, type HeraldProcess, startWorkerProcess } from '../support/herald-process';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// design/webhooks.md, Durable: a worker killed mid-delivery, twice, while the receiver is
// down, loses no event; once the receiver is back every event arrives.

const CREDENTIALS_KEYS = `k1:${randomBytes(32).toString('base64')}`;
const WEBHOOK_ENV = { CREDENTIALS_KEYS, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' };

let sink: SmtpSink;
let t: TestApp;
let receiver: WebhookReceiver | undefined;
const processes: HeraldProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, ...WEBHOOK_ENV });
});

afterAll(async () => {
  for (const p of processes.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await receiver?.close();
  await t.close();
  await sink.close();
});

async function startWorker(): Promise<HeraldProcess> {
  const worker = await startWorkerProcess(t.config, {
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    ...WEBHOOK_ENV,
    // Retries every second or so for as long as the test runs, so nothing is given up while the receiver is down.
    WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 60 }, () => '1s').join(','),
    WEBHOOK_TIMEOUT_MS: '2000',
  });
  processes.push(worker);
  return worker;
}

async function kill(worker: HeraldProcess): Promise<void> {
  worker.kill('SIGKILL');
  await worker.exited;
}

const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(t.database.db)).rows[0]?.n ?? 0);

it('500 messages sent while the receiver is down and the worker is SIGKILLed twice: every event arrives once it is back', async () => {
  const port = await freePort();
  await request(t.app).post('/api/webhooks').set('Authorization', adminBearer).send({ url: `http://127.0.0.1:${port}/hooks`, event_types: ['message.sent'] }).expect(201);

  let worker = await startWorker();
  for (let batch = 0; batch < 5; batch += 1) {
    await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: notificationBatch(100, `crash-${batch}`) }).expect(202);
  }
  const tried = () => count(sql<{ n: string }>`select count(*) as n from webhook_deliveries where attempt > 0`);
  await waitUntil(async () => (await tried()) >= 100, { timeoutMs: 30000, what: '100 deliveries tried' });
  await kill(worker);

  worker = await startWorker();
  await waitUntil(async () => (await count(sql<{ n: string }>`select count(*) as n from webhook_deliveries`)) === 500, {
    timeoutMs: 60000,
    what: '500 delivery rows',
  });
  await waitUntil(async () => (await tried()) === 500, { timeoutMs: 30000, what: 'every delivery tried' });
  await kill(worker);

  await startWorker();
  receiver = await startWebhookReceiver(port);
  const ids = () => new Set(receiver?.received.map((r) => String(r.headers['webhook-id'])));
  await waitUntil(() => ids().size === 500, { timeoutMs: 60000, what: '500 distinct webhook-ids', detail: () => `${ids().size} arrived` });
  expect(await count(sql<{ n: string }>`select count(*) as n from messages where status = 'sent'`)).toBe(500);
  await waitUntil(async () => (await count(sql<{ n: string }>`select count(*) as n from webhook_deliveries where status = 'delivered'`)) === 500, {
    timeoutMs: 30000,
    what: 'every delivery recorded as delivered',
  });
}, 180000);

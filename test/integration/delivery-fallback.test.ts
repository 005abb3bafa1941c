import request from 'supertest';
import { CircuitBreaker } from '../../services/mail/circuit-breaker';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startFakeMailgun, type FakeMailgun } from '../support/fake-mailgun';
import { startFakeSendgrid, type FakeSendgrid } from '../support/fake-sendgrid';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

let sink: SmtpSink;
let sendgrid: FakeSendgrid;
let mailgun: FakeMailgun;
let t: TestApp;
let worker: WorkerRuntime;
let clock = 0;

beforeAll(async () => {
  [sink, sendgrid, mailgun] = await Promise.all([startSmtpSink(), startFakeSendgrid({ apiKey: 'SG.test' }), startFakeMailgun({ apiKey: 'mg-test' })]);
  t = await startTestApp({
    MAIL_PROVIDERS: 'sendgrid,mailgun,smtp',
    SENDGRID_API_KEY: 'SG.test',
    SENDGRID_BASE_URL: sendgrid.url,
    MAILGUN_API_KEY: 'mg-test',
    MAILGUN_DOMAIN: 'mg.herald.test',
    MAILGUN_BASE_URL: mailgun.url,
    SMTP_URL: sink.url,
    RETRY_BASE_DELAY_MS: '20',
    RETRY_FACTOR: '2',
  });
  // A clock the test moves, so the circuit's cool-down passes without waiting.
  worker = await startWorkerRuntime(t.infra, { breaker: new CircuitBreaker({ failureThreshold: 3, cooldownMs: 60000, now: () => clock }) });
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await Promise.all([sink.close(), sendgrid.close(), mailgun.close()]);
});

async function notify(body: Record<string, unknown>): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ subject: 'Hello', text: 'hi', ...body }).expect(202);
  return res.body.id as string;
}

function finished(id: string) {
  return waitUntil(
    async () => {
      const row = await t.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return row.status === 'sent' || row.status === 'failed' ? row : undefined;
    },
    { what: `notification ${id} to finish` },
  );
}

function tries(id: string) {
  return t.database.db
    .selectFrom('delivery_attempts')
    .select(['attempt', 'provider', 'outcome'])
    .where('message_id', '=', id)
    .orderBy('id')
    .execute();
}

describe('provider chain in the worker', () => {
  it('sends through the first provider when it works', async () => {
    const id = await notify({ to: 'first@example.com' });
    expect(await finished(id)).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    const last = sendgrid.requests.at(-1);
    expect(last?.headers.authorization).toBe('Bearer SG.test');
    expect(JSON.stringify(last?.body)).toContain(`<${id}@`);
  });

  it('falls back to the next provider when the primary answers 500, recording both tries', async () => {
    sendgrid.failNext(500, 1);
    const id = await notify({ to: 'fallback@example.com' });
    expect(await finished(id)).toMatchObject({ status: 'sent', provider: 'mailgun' });
    expect(await tries(id)).toEqual([
      { attempt: 1, provider: 'sendgrid', outcome: 'transient' },
      { attempt: 1, provider: 'mailgun', outcome: 'sent' },
    ]);
    expect(mailgun.requests.at(-1)?.fields.to).toEqual(['fallback@example.com']);
  });

  it('does not fall back after a permanent 400', async () => {
    sendgrid.failNext(400, 1);
    const before = mailgun.requests.length;
    const id = await notify({ to: 'rejected@example.com' });
    expect(await finished(id)).toMatchObject({ status: 'failed' });
    expect(await tries(id)).toEqual([{ attempt: 1, provider: 'sendgrid', outcome: 'permanent' }]);
    expect(mailgun.requests.length).toBe(before);
  });

  it('honours use_fallback: false by retrying the same provider only', async () => {
    sendgrid.failNext(503, 1);
    const id = await notify({ to: 'nofallback@example.com', use_fallback: false });
    expect(await finished(id)).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    expect(await tries(id)).toEqual([
      { attempt: 1, provider: 'sendgrid', outcome: 'transient' },
      { attempt: 2, provider: 'sendgrid', outcome: 'sent' },
    ]);
  });

  it('honours a requested provider', async () => {
    const before = sink.messages.length;
    const id = await notify({ to: 'viasmtp@example.com', provider: 'smtp' });
    expect(await finished(id)).toMatchObject({ status: 'sent', provider: 'smtp' });
    const [mail] = (await sink.waitFor(before + 1)).slice(before);
    expect(mail?.envelope.rcptTo).toEqual(['viasmtp@example.com']);
  });

  it('opens the circuit after consecutive failures, skips the provider, and closes it after the cool-down', async () => {
    sendgrid.failNext(500, 3);
    for (const n of [1, 2, 3]) expect(await finished(await notify({ to: `c${n}@example.com` }))).toMatchObject({ provider: 'mailgun' });
    expect(worker.breaker.isOpen('sendgrid')).toBe(true);
    const sendgridCalls = sendgrid.requests.length;
    const skipped = await notify({ to: 'skipped@example.com' });
    expect(await finished(skipped)).toMatchObject({ status: 'sent', provider: 'mailgun' });
    expect(await tries(skipped)).toEqual([
      { attempt: 1, provider: 'sendgrid', outcome: 'skipped' },
      { attempt: 1, provider: 'mailgun', outcome: 'sent' },
    ]);
    expect(sendgrid.requests.length).toBe(sendgridCalls);

    clock += 60001;
    const probe = await notify({ to: 'probe@example.com' });
    expect(await finished(probe)).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    expect(worker.breaker.isOpen('sendgrid')).toBe(false);
  });
});

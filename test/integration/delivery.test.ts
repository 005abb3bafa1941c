import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    MAIL_DOMAIN: 'mail.herald.test',
    CONTACT_INBOX: 'team@herald.test',
    RETRY_BASE_DELAY_MS: '40',
    RETRY_FACTOR: '2',
    SWEEPER_INTERVAL_MS: '100',
  });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

async function statusOf(table: 'notification' | 'contact', id: string) {
  return t.database.db.selectFrom('messages').where('kind', '=', table).selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function waitForStatus(table: 'notification' | 'contact', id: string, status: string, timeoutMs = 10000) {
  return waitUntil(
    async () => {
      const row = await statusOf(table, id);
      return row.status === status ? row : undefined;
    },
    { timeoutMs, what: `${table} ${id} to be ${status}` },
  );
}

function attemptsOf(id: string) {
  return t.database.db.selectFrom('delivery_attempts').selectAll().where('message_id', '=', id).orderBy('id').execute();
}

describe('delivery through SMTP', () => {
  it('emails a contact message to the inbox with Reply-To the visitor and the text escaped in HTML', async () => {
    const before = sink.messages.length;
    const res = await request(t.app)
      .post('/api/contact')
      .send({ name: 'Eve <script>', email: 'eve@example.org', message: 'Hi <b>there</b>\nsecond line' })
      .expect(202);
    const row = await waitForStatus('contact', res.body.id, 'sent');
    const [mail] = (await sink.waitFor(before + 1)).slice(before);
    expect(mail?.envelope.rcptTo).toEqual(['team@herald.test']);
    expect(mail?.parsed.subject).toBe('New contact message from Eve <script>');
    expect(mail?.parsed.replyTo?.value[0]?.address).toBe('eve@example.org');
    expect(mail?.parsed.messageId).toBe(`<${res.body.id}@mail.herald.test>`);
    expect(mail?.parsed.text).toContain('Hi <b>there</b>');
    expect(mail?.parsed.html).toContain('Hi &lt;b&gt;there&lt;/b&gt;');
    expect(mail?.parsed.html).not.toContain('<script>');
    expect(row).toMatchObject({ provider: 'smtp', retry_count: 0, error_message: null });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.provider_message_id).toEqual(expect.any(String));
    expect(await attemptsOf(res.body.id)).toEqual([expect.objectContaining({ attempt: 1, provider: 'smtp', outcome: 'sent' })]);
  });

  it('sends a notification with both parts, cc and the stable Message-ID', async () => {
    const before = sink.messages.length;
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ to: ['a@example.com'], cc: ['b@example.com'], subject: 'Your report', text: 'plain', html: '<p>rich</p>', reply_to: 'help@example.com' })
      .expect(202);
    await waitForStatus('notification', res.body.id, 'sent');
    const [mail] = (await sink.waitFor(before + 1)).slice(before);
    expect([...(mail?.envelope.rcptTo ?? [])].sort()).toEqual(['a@example.com', 'b@example.com']);
    expect(mail?.parsed.text?.trim()).toBe('plain');
    expect(mail?.parsed.html).toContain('<p>rich</p>');
    expect(mail?.parsed.messageId).toBe(`<${res.body.id}@mail.herald.test>`);
    expect(mail?.parsed.replyTo?.value[0]?.address).toBe('help@example.com');
    const detail = await request(t.app).get(`/api/notify/${res.body.id}`).set('Authorization', adminBearer).expect(200);
    expect(detail.body).toMatchObject({ status: 'sent', provider: 'smtp', attempts: [{ attempt: 1, outcome: 'sent', provider: 'smtp' }] });
  });

  it('retries transient failures on the configured schedule and fails after 4 attempts', async () => {
    sink.rejectNextRecipients(4, 451);
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'x@example.com', subject: 'Flaky', text: 'hi' }).expect(202);
    const row = await waitForStatus('notification', res.body.id, 'failed');
    expect(row.retry_count).toBe(3);
    expect(row.error_message).toMatch(/451/);
    const attempts = await attemptsOf(res.body.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'transient'],
      [2, 'transient'],
      [3, 'transient'],
      [4, 'transient'],
    ]);
    // Delays are base × factor^(n-1): 40, 80, 160 ms.
    const gaps = attempts.slice(1).map((a, i) => a.at.getTime() - (attempts[i]?.at.getTime() ?? 0));
    [40, 80, 160].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 5));
  });

  it('fails a permanent rejection after one try and an admin can retry it', async () => {
    sink.rejectNextRecipients(1, 550);
    const before = sink.messages.length;
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'gone@example.com', subject: 'Bounce', text: 'hi' }).expect(202);
    const row = await waitForStatus('notification', res.body.id, 'failed');
    expect(row.error_message).toMatch(/550/);
    expect(await attemptsOf(res.body.id)).toEqual([expect.objectContaining({ attempt: 1, outcome: 'permanent' })]);

    const key = await t.bearerWith('notify:send', 'messages:read');
    await request(t.app).post(`/api/messages/${res.body.id}/retry`).set('Authorization', key).expect(403);
    await request(t.app).post(`/api/messages/${res.body.id}/retry`).set('Authorization', adminBearer).expect(202);
    const resent = await waitForStatus('notification', res.body.id, 'sent');
    expect(resent.retry_count).toBe(0);
    await sink.waitFor(before + 1);
    await request(t.app).post(`/api/messages/${res.body.id}/retry`).set('Authorization', adminBearer).expect(409);
  });

  it('holds a scheduled message until send_at, and cancel stops it', async () => {
    const sendAt = new Date(Date.now() + 1500).toISOString();
    const later = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'l@example.com', subject: 'Later', text: 'hi', send_at: sendAt }).expect(202);
    expect(later.body.status).toBe('scheduled');
    const cancelled = await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ to: 'c@example.com', subject: 'Cancel me', text: 'hi', send_at: sendAt })
      .expect(202);
    expect((await t.infra.queue.getJob(later.body.id))?.opts.delay).toBeGreaterThan(1000);
    await request(t.app).post(`/api/notify/${cancelled.body.id}/cancel`).set('Authorization', adminBearer).expect(200, { id: cancelled.body.id, kind: 'notification', status: 'cancelled' });
    expect((await statusOf('notification', later.body.id)).status).toBe('scheduled');
    const sent = await waitForStatus('notification', later.body.id, 'sent');
    expect(sent.sent_at?.getTime()).toBeGreaterThanOrEqual(new Date(sendAt).getTime());
    expect((await statusOf('notification', cancelled.body.id)).status).toBe('cancelled');
    expect(await attemptsOf(cancelled.body.id)).toEqual([]);
    await request(t.app).post(`/api/notify/${later.body.id}/cancel`).set('Authorization', adminBearer).expect(409);
  });

  it('reports live workers in /healthz', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.body).toEqual({
      status: 'healthy',
      checks: { database: { status: 'ok' }, redis: { status: 'ok' }, workers: { status: 'ok', live: 1 } },
    });
  });
});

import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { adminBearer } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Every transition that ends somewhere appends its message_events row in the same statement;
// the API shows them in the detail and at /events, to the owner only.

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, RETRY_BASE_DELAY_MS: '20', RETRY_FACTOR: '1' });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

const eventsOf = (id: string) =>
  t.database.db.selectFrom('message_events').select(['type', 'data']).where('message_id', '=', id).orderBy('id').execute();

const statusOf = async (id: string) => (await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

async function notify(body: Record<string, unknown>, auth = adminBearer): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ subject: 'Events', text: 'hi', ...body }).expect(202);
  return res.body.id as string;
}

function settled(id: string, status: string) {
  return waitUntil(async () => (await statusOf(id)) === status, { what: `${id} to be ${status}` });
}

describe('message events', () => {
  it('accepting writes no event', async () => {
    const id = await notify({ to: 'later@example.com', send_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await eventsOf(id)).toEqual([]);
  });

  it('sent: one event with the provider and its message id', async () => {
    const id = await notify({ to: 'sent@example.com' });
    await settled(id, 'sent');
    const row = await t.database.db.selectFrom('messages').select(['provider', 'provider_message_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await eventsOf(id)).toEqual([{ type: 'sent', data: { provider: 'smtp', provider_message_id: row.provider_message_id, attempt: 1 } }]);
  });

  it('failed after the last retry: no event for the retries, one failed event', async () => {
    sink.rejectNextRecipients(4, 451);
    const id = await notify({ to: 'flaky@example.com' });
    await settled(id, 'failed');
    expect(await eventsOf(id)).toEqual([{ type: 'failed', data: { attempt: 4, permanent: false, provider: 'smtp' } }]);
  });

  it('failed permanently: one failed event on the first attempt', async () => {
    sink.rejectNextRecipients(1, 550);
    const id = await notify({ to: 'gone@example.com' });
    await settled(id, 'failed');
    expect(await eventsOf(id)).toEqual([{ type: 'failed', data: { attempt: 1, permanent: true, provider: 'smtp' } }]);
  });

  it('cancelled: one event, and a second cancel is refused with no second event', async () => {
    const id = await notify({ to: 'cancel@example.com', send_at: new Date(Date.now() + 3_600_000).toISOString() });
    await request(t.app).post(`/api/notify/${id}/cancel`).set('Authorization', adminBearer).expect(200);
    await request(t.app).post(`/api/notify/${id}/cancel`).set('Authorization', adminBearer).expect(409);
    expect(await eventsOf(id)).toEqual([{ type: 'cancelled', data: {} }]);
  });

  it('suppressed by the honeypot: one event with the reason, written by the accepting statement', async () => {
    const res = await request(t.app).post('/api/contact').send({ name: 'Bot', email: 'bot@example.com', message: 'spam', website: 'http://spam.example' }).expect(202);
    expect(res.body.status).toBe('queued');
    expect(await statusOf(res.body.id)).toBe('suppressed');
    expect(await eventsOf(res.body.id)).toEqual([{ type: 'suppressed', data: { reason: 'honeypot' } }]);
  });

  it('the detail and /events show the events; owner only, 404 for anyone else', async () => {
    const owner = await t.bearerWith('notify:send', 'messages:read');
    const stranger = await t.bearerWith('notify:send', 'messages:read');
    const id = await notify({ to: 'mine@example.com' }, owner);
    await settled(id, 'sent');
    const detail = await request(t.app).get(`/api/notify/${id}`).set('Authorization', owner).expect(200);
    expect(detail.body.events).toEqual([{ type: 'sent', at: expect.any(String), data: expect.objectContaining({ provider: 'smtp' }) }]);
    const events = await request(t.app).get(`/api/notify/${id}/events`).set('Authorization', owner).expect(200);
    expect(events.body).toEqual({ results: detail.body.events });
    await request(t.app).get(`/api/notify/${id}/events`).set('Authorization', stranger).expect(404);
    await request(t.app).get(`/api/notify/${id}/events`).set('Authorization', adminBearer).expect(200);
    // A notification is not a contact message, whoever asks.
    await request(t.app).get(`/api/contact/${id}/events`).set('Authorization', adminBearer).expect(404);
    await request(t.app).get('/api/notify/not-a-uuid/events').set('Authorization', owner).expect(404);
  });

  it('contact messages: events readable by an admin at /api/contact/:id/events, not by a client key', async () => {
    const res = await request(t.app).post('/api/contact').send({ name: 'Ada', email: 'ada@example.com', message: 'Hello there' }).expect(202);
    await settled(res.body.id, 'sent');
    const events = await request(t.app).get(`/api/contact/${res.body.id}/events`).set('Authorization', adminBearer).expect(200);
    expect(events.body.results.map((e: { type: string }) => e.type)).toEqual(['sent']);
    const detail = await request(t.app).get(`/api/contact/${res.body.id}`).set('Authorization', adminBearer).expect(200);
    expect(detail.body).toMatchObject({ name: 'Ada', email: 'ada@example.com', message: 'Hello there', status: 'sent', events: events.body.results });
    const reader = await t.bearerWith('messages:read');
    await request(t.app).get(`/api/contact/${res.body.id}/events`).set('Authorization', reader).expect(404);
  });
});

import request from 'supertest';
import { adminBearer, notification } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
let sender: string;
beforeAll(async () => {
  t = await startTestApp();
  sender = await t.bearerWith('notify:send', 'messages:read');
});
afterAll(async () => {
  await t.close();
});


function rowsWithKey(key: string) {
  return t.database.db.selectFrom('messages').selectAll().where('idempotency_key', '=', key).execute();
}

describe('POST /api/notify', () => {
  it('answers 202 with the id of a stored row and a job whose id is that row id and whose data is only {id, kind}', async () => {
    const res = await request(t.app).post('/api/notify').set('Authorization', sender).send(notification).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'queued', message: expect.any(String) });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const row = await t.database.db.selectFrom('messages').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ to: ['ops@example.com'], cc: [], bcc: [], subject: 'Disk almost full', text_body: 'Volume /data is at 91%.', status: 'queued' });
    const job = await t.infra.queue.getJob(res.body.id);
    expect(job?.id).toBe(res.body.id);
    expect(job?.data).toStrictEqual({ id: res.body.id, kind: 'notification' });
  });

  it('accepts `to` as a single address or as a list', async () => {
    const single = await request(t.app).post('/api/notify').set('Authorization', sender).send(notification).expect(202);
    const list = await request(t.app)
      .post('/api/notify')
      .set('Authorization', sender)
      .send({ ...notification, to: ['a@example.com', 'b@example.com'], cc: 'c@example.com' })
      .expect(202);
    const rows = await t.database.db.selectFrom('messages').select(['id', 'to', 'cc']).where('id', 'in', [single.body.id, list.body.id]).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(single.body.id)).toMatchObject({ to: ['ops@example.com'], cc: [] });
    expect(byId.get(list.body.id)).toMatchObject({ to: ['a@example.com', 'b@example.com'], cc: ['c@example.com'] });
  });

  it('accepts a trailing slash', async () => {
    await request(t.app).post('/api/notify/').set('Authorization', sender).send(notification).expect(202);
  });

  it('replays the original answer for the same key and body, without a second row or job', async () => {
    const first = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', 'notify-replay').send(notification).expect(202);
    const again = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', 'notify-replay').send(notification).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await rowsWithKey('notify-replay')).toHaveLength(1);
  });

  it('treats the same content in another key order or shape as the same request', async () => {
    const key = 'notify-shape';
    const first = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', key).send(notification).expect(202);
    const reordered = { text: notification.text, subject: notification.subject, to: [notification.to] };
    const again = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', key).send(reordered).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 422 problem+json when a key is reused with another body, and keeps the original row', async () => {
    const first = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', 'notify-changed').send(notification).expect(202);
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', sender)
      .set('Idempotency-Key', 'notify-changed')
      .send({ ...notification, subject: 'Something else' })
      .expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, title: 'Idempotency Key Reused', type: expect.any(String), detail: expect.any(String) });
    const rows = await rowsWithKey('notify-changed');
    expect(rows.map((row) => [row.id, row.subject])).toEqual([[first.body.id, notification.subject]]);
  });

  it('creates exactly one row and one job for 20 concurrent requests with one key', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', 'notify-race').send(notification)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    const rows = await rowsWithKey('notify-race');
    expect(rows.map((row) => row.id)).toEqual([...ids]);
    expect((await t.infra.queue.getJob(rows[0]?.id ?? ''))?.data).toEqual({ id: rows[0]?.id, kind: 'notification' });
  });

  it('scopes idempotency keys per client: the same key from another client is a new message', async () => {
    const other = await t.bearerWith('notify:send');
    const mine = await request(t.app).post('/api/notify').set('Authorization', sender).set('Idempotency-Key', 'notify-shared').send(notification).expect(202);
    const theirs = await request(t.app).post('/api/notify').set('Authorization', other).set('Idempotency-Key', 'notify-shared').send(notification).expect(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(await rowsWithKey('notify-shared')).toHaveLength(2);
  });

  it('stores a future send_at as scheduled with a delayed job', async () => {
    const sendAt = new Date(Date.now() + 60 * 60 * 1000);
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', sender)
      .set('Idempotency-Key', 'notify-scheduled')
      .send({ ...notification, send_at: sendAt.toISOString() })
      .expect(202);
    expect(res.body.status).toBe('scheduled');
    const row = await t.database.db.selectFrom('messages').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('scheduled');
    expect(row.send_at?.toISOString()).toBe(sendAt.toISOString());
    const job = await t.infra.queue.getJob(res.body.id);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.opts.delay).toBeGreaterThan(59 * 60 * 1000);
    expect(job?.data).toEqual({ id: res.body.id, kind: 'notification' });
    const replay = await request(t.app)
      .post('/api/notify')
      .set('Authorization', sender)
      .set('Idempotency-Key', 'notify-scheduled')
      .send({ ...notification, send_at: sendAt.toISOString() })
      .expect(202);
    expect(replay.body).toEqual(res.body);
  });

  it('treats a send_at in the past as send now', async () => {
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', sender)
      .send({ ...notification, send_at: '2020-01-01T00:00:00Z' })
      .expect(202);
    expect(res.body.status).toBe('queued');
    const job = await t.infra.queue.getJob(res.body.id);
    expect(await job?.getState()).toMatch(/^(waiting|prioritized)$/);
  });

  it('stores every optional field', async () => {
    const full = {
      to: ['a@example.com'],
      cc: ['b@example.com'],
      bcc: ['c@example.com'],
      reply_to: 'support@example.com',
      subject: 'Invoice 42',
      text: 'plain',
      html: '<p>html</p>',
      metadata: { invoice: 42, nested: { ok: true } },
      tags: ['billing', 'invoice'],
      provider: 'smtp',
      use_fallback: false,
      priority: 7,
    };
    const res = await request(t.app).post('/api/notify').set('Authorization', sender).send(full).expect(202);
    const detail = await request(t.app).get(`/api/notify/${res.body.id}`).set('Authorization', sender).expect(200);
    expect(detail.body).toMatchObject({
      id: res.body.id,
      to: full.to,
      cc: full.cc,
      bcc: full.bcc,
      reply_to: full.reply_to,
      subject: full.subject,
      text: full.text,
      html: full.html,
      metadata: full.metadata,
      tags: full.tags,
      provider_hint: 'smtp',
      use_fallback: false,
      priority: 7,
      attempts: [],
    });
  });
});

describe('GET /api/notify/:id', () => {
  it('returns the notification with an empty attempts list before any delivery', async () => {
    const created = await request(t.app).post('/api/notify').set('Authorization', sender).send(notification).expect(202);
    for (const path of [`/api/notify/${created.body.id}`, `/api/notify/${created.body.id}/`]) {
      const res = await request(t.app).get(path).set('Authorization', sender).expect(200);
      expect(res.body).toMatchObject({
        id: created.body.id,
        status: 'queued',
        to: ['ops@example.com'],
        subject: notification.subject,
        text: notification.text,
        html: null,
        retry_count: 0,
        sent_at: null,
        attempts: [],
      });
      expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    }
  });

  it('answers 404 problem+json for an unknown or malformed id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await request(t.app).get(`/api/notify/${id}`).set('Authorization', adminBearer).expect(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});

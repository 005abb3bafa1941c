import request from 'supertest';
import { adminBearer, visitor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});


describe('POST /api/contact', () => {
  it('answers 202 with the id of a stored row and a job whose id is that row id', async () => {
    const res = await request(t.app).post('/api/contact').send(visitor).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'queued', message: expect.any(String) });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const row = await t.database.db.selectFrom('messages').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ contact_name: 'Ada Lovelace', contact_email: 'ada@example.com', text_body: 'Hello there', status: 'queued', client_id: 'public' });
    const job = await t.infra.queue.getJob(res.body.id);
    expect(job?.data).toEqual({ id: res.body.id, kind: 'contact' });
  });

  it('accepts a trailing slash', async () => {
    await request(t.app).post('/api/contact/').send(visitor).expect(202);
  });

  it('replays the original answer for the same key and body', async () => {
    const first = await request(t.app).post('/api/contact').set('Idempotency-Key', 'contact-replay-1').send(visitor).expect(202);
    const again = await request(t.app).post('/api/contact').set('Idempotency-Key', 'contact-replay-1').send(visitor).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const rows = await t.database.db.selectFrom('messages').select('id').where('idempotency_key', '=', 'contact-replay-1').execute();
    expect(rows).toHaveLength(1);
  });

  it('answers 422 when a key is reused with another body', async () => {
    await request(t.app).post('/api/contact').set('Idempotency-Key', 'contact-changed').send(visitor).expect(202);
    const res = await request(t.app)
      .post('/api/contact')
      .set('Idempotency-Key', 'contact-changed')
      .send({ ...visitor, message: 'Something else' })
      .expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.title).toBe('Idempotency Key Reused');
  });

  it('creates exactly one row for 20 concurrent requests with one key', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(t.app).post('/api/contact').set('Idempotency-Key', 'contact-race').send(visitor)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    const rows = await t.database.db.selectFrom('messages').select('id').where('idempotency_key', '=', 'contact-race').execute();
    expect(rows).toHaveLength(1);
  });

  it('lets an admin read the message back, and hides it without credentials', async () => {
    const created = await request(t.app).post('/api/contact').send(visitor).expect(202);
    await request(t.app).get(`/api/contact/${created.body.id}`).expect(401);
    const res = await request(t.app).get(`/api/contact/${created.body.id}`).set('Authorization', adminBearer).expect(200);
    expect(res.body).toMatchObject({ id: created.body.id, name: 'Ada Lovelace', status: 'queued' });
  });
});

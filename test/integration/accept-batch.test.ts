import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
let sender: string;
beforeAll(async () => {
  t = await startTestApp();
  sender = await t.bearerWith('notify:send');
});
afterAll(async () => {
  await t.close();
});

interface Item {
  idempotency_key?: string;
  to?: string | string[];
  subject?: string;
  text?: string;
}

const item = (n: number): Item => ({ idempotency_key: `batch-${n}`, to: `user${n}@example.com`, subject: `Report ${n}`, text: `Body ${n}` });

async function jobIds(): Promise<string[]> {
  const jobs = await t.infra.queue.getJobs(['waiting', 'prioritized', 'delayed']);
  return jobs.map((job) => job.id ?? '');
}

async function rowCount(): Promise<number> {
  const { count } = await t.database.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return count;
}

describe('POST /api/notify/batch', () => {
  // Built once: 1000 items where item 500 repeats item 0 exactly, item 501 reuses item 1's key
  // with another body, and items 10 and 20 fail validation.
  const items: Item[] = Array.from({ length: 1000 }, (_, n) => item(n));
  items[500] = item(0);
  items[501] = { ...item(1), subject: 'A different subject' };
  items[10] = { ...item(10), to: 'not an address' };
  items[20] = { idempotency_key: 'batch-20', to: 'user20@example.com', text: 'no subject' };
  const uniqueValidKeys = 1000 - 2 - 2;
  const firstBatchKeys = [...new Set(items.map((it) => it.idempotency_key ?? ''))];

  let first: request.Response;
  /** The queued jobs right after the first batch, before any test below adds its own. */
  let jobsAfterFirst: string[];
  beforeAll(async () => {
    first = await request(t.app).post('/api/notify/batch').set('Authorization', sender).send({ items });
    jobsAfterFirst = await jobIds();
  });

  it('answers 202 with one result per item, in order', () => {
    expect(first.status).toBe(202);
    expect(first.body.results).toHaveLength(1000);
    expect(first.body.results.map((r: { index: number }) => r.index)).toEqual(items.map((_, n) => n));
    expect(first.body.accepted).toBe(997);
    expect(first.body.rejected).toBe(3);
  });

  it('answers a repeated item with the same body as the first, marked replayed', () => {
    const [original, repeat] = [first.body.results[0], first.body.results[500]];
    expect(original).toMatchObject({ status: 202, idempotency_key: 'batch-0', replayed: false });
    expect(repeat).toMatchObject({ status: 202, idempotency_key: 'batch-0', id: original.id, replayed: true });
  });

  it('rejects a repeated key with another body with 422 for that item only', () => {
    expect(first.body.results[1]).toMatchObject({ status: 202, idempotency_key: 'batch-1', replayed: false });
    expect(first.body.results[501]).toMatchObject({
      index: 501,
      status: 422,
      idempotency_key: 'batch-1',
      errors: [{ field: 'idempotency_key', message: expect.any(String) }],
    });
  });

  it('reports validation errors per item with its index and field', () => {
    expect(first.body.results[10]).toMatchObject({ index: 10, status: 422, errors: [{ field: 'items.10.to', message: expect.any(String) }] });
    expect(first.body.results[20]).toMatchObject({ index: 20, status: 422, errors: [{ field: 'items.20.subject', message: expect.any(String) }] });
    expect(first.body.results[11]).toMatchObject({ index: 11, status: 202, id: expect.any(String) });
  });

  it('stores exactly one row per unique valid key and one job per new row', async () => {
    const rows = await t.database.db.selectFrom('messages').select(['id', 'idempotency_key', 'subject']).where('idempotency_key', 'in', firstBatchKeys).execute();
    expect(rows).toHaveLength(uniqueValidKeys);
    expect(new Set(rows.map((row) => row.idempotency_key)).size).toBe(uniqueValidKeys);
    expect(rows.map((row) => row.idempotency_key)).not.toEqual(expect.arrayContaining(['batch-10', 'batch-20']));
    expect(rows.find((row) => row.idempotency_key === 'batch-1')?.subject).toBe('Report 1');
    const ids = new Set(rows.map((row) => row.id));
    expect(jobsAfterFirst).toHaveLength(uniqueValidKeys);
    expect(new Set(jobsAfterFirst)).toEqual(ids);
    const sample = await t.infra.queue.getJob(first.body.results[999].id);
    expect(sample?.data).toEqual({ id: first.body.results[999].id, kind: 'notification' });
  });

  it('replays the whole batch without new rows or jobs', async () => {
    const rowsBefore = await rowCount();
    const jobsBefore = await jobIds();
    const again = await request(t.app).post('/api/notify/batch').set('Authorization', sender).send({ items }).expect(202);
    expect(again.body.accepted).toBe(997);
    for (const n of [0, 1, 500, 999]) {
      expect(again.body.results[n]).toMatchObject({ status: 202, id: first.body.results[n].id, replayed: true });
    }
    expect(again.body.results[501].status).toBe(422);
    expect(await rowCount()).toBe(rowsBefore);
    const jobsAfter = await jobIds();
    expect(jobsAfter).toHaveLength(jobsBefore.length);
    expect(new Set(jobsAfter)).toEqual(new Set(jobsBefore));
  });

  it('accepts a trailing slash and a mixed batch of new and known keys', async () => {
    const res = await request(t.app)
      .post('/api/notify/batch/')
      .set('Authorization', sender)
      .send({ items: [item(5), item(5000)] })
      .expect(202);
    expect(res.body.results).toMatchObject([
      { status: 202, id: first.body.results[5].id, replayed: true },
      { status: 202, replayed: false },
    ]);
    expect(await t.infra.queue.getJob(res.body.results[1].id)).toBeDefined();
  });

  it('answers 422 for 1001 items, and stores nothing', async () => {
    const rowsBefore = await rowCount();
    const tooMany = Array.from({ length: 1001 }, (_, n) => item(10_000 + n));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', sender).send({ items: tooMany }).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'items' })]);
    expect(await rowCount()).toBe(rowsBefore);
  });

  it('answers 422 for an empty batch or one without items', async () => {
    for (const body of [{ items: [] }, {}, { items: 'x' }]) {
      const res = await request(t.app).post('/api/notify/batch').set('Authorization', sender).send(body).expect(422);
      expect(res.body.errors[0].field).toBe('items');
    }
  });

  it('needs the notify:send scope', async () => {
    const reader = await t.bearerWith('messages:read');
    await request(t.app).post('/api/notify/batch').send({ items: [item(1)] }).expect(401);
    await request(t.app).post('/api/notify/batch').set('Authorization', reader).send({ items: [item(1)] }).expect(403);
  });
});

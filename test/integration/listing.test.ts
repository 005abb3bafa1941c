import request from 'supertest';
import type { MessageStatus } from '../../services/domain/message-statuses';
import { adminBearer } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
let alice: string;
let bob: string;
/** Alice's notification ids, newest first. */
const aliceIds: string[] = [];
let bobId: string;
const contactIds: string[] = [];

interface Listed {
  id: string;
  created_at: string;
  status: string;
}

// 25 notifications for Alice with created_at one minute apart (so "newest first" is well defined),
// 3 of them marked sent; one notification for Bob; 3 contact messages.
beforeAll(async () => {
  t = await startTestApp();
  alice = await t.bearerWith('notify:send', 'messages:read');
  bob = await t.bearerWith('notify:send', 'messages:read');
  const base = Date.parse('2026-01-01T00:00:00Z');
  const created: string[] = [];
  for (let n = 0; n < 25; n++) {
    const res = await request(t.app).post('/api/notify').set('Authorization', alice).send({ to: 'a@example.com', subject: `n${n}`, text: 'x' }).expect(202);
    created.push(res.body.id);
    await t.database.db
      .updateTable('messages')
      .set({ created_at: new Date(base + n * 60_000) })
      .where('id', '=', res.body.id)
      .execute();
  }
  aliceIds.push(...created.reverse());
  const sent: MessageStatus = 'sent';
  await t.database.db.updateTable('messages').set({ status: sent }).where('id', 'in', [aliceIds[0] ?? '', aliceIds[5] ?? '', aliceIds[24] ?? '']).execute();
  const bobs = await request(t.app).post('/api/notify').set('Authorization', bob).send({ to: 'b@example.com', subject: 'bob', text: 'x' }).expect(202);
  bobId = bobs.body.id;
  for (let n = 0; n < 3; n++) {
    const res = await request(t.app).post('/api/contact').send({ name: `Visitor ${n}`, email: 'v@example.com', message: 'hi' }).expect(202);
    contactIds.unshift(res.body.id);
    await t.database.db
      .updateTable('messages')
      .set({ created_at: new Date(base + n * 60_000) })
      .where('id', '=', res.body.id)
      .execute();
  }
});
afterAll(async () => {
  await t.close();
});

const ids = (body: { results: Listed[] }) => body.results.map((r) => r.id);

describe('GET /api/notify', () => {
  it('answers {count, next, previous, results}, newest first, 20 per page by default', async () => {
    const res = await request(t.app).get('/api/notify').set('Authorization', alice).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['count', 'next', 'previous', 'results']);
    expect(res.body.count).toBe(25);
    expect(res.body.previous).toBeNull();
    expect(res.body.next).toBe('/api/notify?page=2&page_size=20');
    expect(ids(res.body)).toEqual(aliceIds.slice(0, 20));
    const times = res.body.results.map((r: Listed) => Date.parse(r.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('pages with page and page_size, and the links lead through every row once', async () => {
    const seen: string[] = [];
    let link: string | null = '/api/notify?page_size=7';
    let pages = 0;
    while (link !== null) {
      const res: request.Response = await request(t.app).get(link).set('Authorization', alice).expect(200);
      expect(res.body.count).toBe(25);
      expect(res.body.results.length).toBeLessThanOrEqual(7);
      if (pages > 0) expect(res.body.previous).toBe(`/api/notify?page=${pages}&page_size=7`);
      seen.push(...ids(res.body));
      link = res.body.next;
      pages += 1;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(aliceIds);
  });

  it('answers an empty page past the end, linking back', async () => {
    const res = await request(t.app).get('/api/notify?page=9&page_size=10').set('Authorization', alice).expect(200);
    expect(res.body).toEqual({ count: 25, next: null, previous: '/api/notify?page=8&page_size=10', results: [] });
  });

  it('accepts page_size up to 100 and answers 422 above', async () => {
    const res = await request(t.app).get('/api/notify?page_size=100').set('Authorization', alice).expect(200);
    expect(res.body.results).toHaveLength(25);
    expect(res.body.next).toBeNull();
    const tooBig = await request(t.app).get('/api/notify?page_size=101').set('Authorization', alice).expect(422);
    expect(tooBig.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(tooBig.body.errors).toEqual([expect.objectContaining({ field: 'query.page_size' })]);
  });

  it('filters by status and keeps the filter in the links', async () => {
    const res = await request(t.app).get('/api/notify?status=sent&page_size=2').set('Authorization', alice).expect(200);
    expect(res.body.count).toBe(3);
    expect(ids(res.body)).toEqual([aliceIds[0], aliceIds[5]]);
    expect(res.body.next).toBe('/api/notify?page=2&page_size=2&status=sent');
    const queued = await request(t.app).get('/api/notify?status=queued&page_size=100').set('Authorization', alice).expect(200);
    expect(queued.body.count).toBe(22);
    expect(queued.body.results.every((r: Listed) => r.status === 'queued')).toBe(true);
    const none = await request(t.app).get('/api/notify?status=failed').set('Authorization', alice).expect(200);
    expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('accepts a trailing slash', async () => {
    const res = await request(t.app).get('/api/notify/?page_size=5').set('Authorization', alice).expect(200);
    expect(ids(res.body)).toEqual(aliceIds.slice(0, 5));
  });

  it('shows a client only its own notifications, and admin all of them', async () => {
    const bobs = await request(t.app).get('/api/notify').set('Authorization', bob).expect(200);
    expect(bobs.body.count).toBe(1);
    expect(ids(bobs.body)).toEqual([bobId]);
    const all = await request(t.app).get('/api/notify?page_size=100').set('Authorization', adminBearer).expect(200);
    expect(all.body.count).toBe(26);
    expect(ids(all.body)).toEqual(expect.arrayContaining([...aliceIds, bobId]));
    const reader = await t.bearerWith('messages:read');
    const empty = await request(t.app).get('/api/notify').set('Authorization', reader).expect(200);
    expect(empty.body.count).toBe(0);
  });
});

describe('GET /api/contact', () => {
  it('lists contact messages newest first for admin, with pagination', async () => {
    const res = await request(t.app).get('/api/contact?page_size=2').set('Authorization', adminBearer).expect(200);
    expect(res.body.count).toBe(3);
    expect(ids(res.body)).toEqual(contactIds.slice(0, 2));
    expect(res.body.next).toBe('/api/contact?page=2&page_size=2');
    const second = await request(t.app).get('/api/contact/?page=2&page_size=2').set('Authorization', adminBearer).expect(200);
    expect(ids(second.body)).toEqual(contactIds.slice(2));
    expect(second.body.previous).toBe('/api/contact?page=1&page_size=2');
    expect(second.body.results[0]).toMatchObject({ name: 'Visitor 0', email: 'v@example.com', message: 'hi', status: 'queued' });
  });

  it('filters by status', async () => {
    const res = await request(t.app).get('/api/contact?status=sent').set('Authorization', adminBearer).expect(200);
    expect(res.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('does not show the public form’s messages to a client without admin', async () => {
    const res = await request(t.app).get('/api/contact').set('Authorization', alice).expect(200);
    expect(res.body.count).toBe(0);
    await request(t.app).get(`/api/contact/${contactIds[0]}`).set('Authorization', alice).expect(404);
  });
});

describe('GET /api/notify filters for the console', () => {
  it('filters by provider, tag, template, creation time and an id or recipient, keeping every filter in the links (the console)', async () => {
    const carol = await t.bearerWith('notify:send', 'messages:read');
    const tagged = await request(t.app).post('/api/notify').set('Authorization', carol).send({ to: 'Zed@Example.com', subject: 't1', text: 'x', tags: ['billing', 'eu'] }).expect(202);
    const other = await request(t.app).post('/api/notify').set('Authorization', carol).send({ to: 'y@example.com', subject: 't2', text: 'x', tags: ['eu'] }).expect(202);
    await t.database.db.updateTable('messages').set({ provider: 'mailgun', created_at: new Date('2026-02-01T10:00:00Z') }).where('id', '=', tagged.body.id).execute();
    await t.database.db.updateTable('messages').set({ created_at: new Date('2026-02-02T10:00:00Z') }).where('id', '=', other.body.id).execute();
    const list = async (query: string) => ids((await request(t.app).get(`/api/notify?${query}`).set('Authorization', carol).expect(200)).body);
    expect(await list('tag=billing')).toEqual([tagged.body.id]);
    expect(await list('tag=eu')).toEqual([other.body.id, tagged.body.id]);
    expect(await list('provider=mailgun')).toEqual([tagged.body.id]);
    expect(await list('created_after=2026-02-02T00:00:00Z')).toEqual([other.body.id]);
    expect(await list('created_before=2026-02-02T00:00:00Z')).toEqual([tagged.body.id]);
    expect(await list('q=zed@example.com')).toEqual([tagged.body.id]);
    expect(await list(`q=${String(other.body.id).toUpperCase()}`)).toEqual([other.body.id]);
    expect(await list('template_id=00000000-0000-4000-8000-000000000000')).toEqual([]);
    // Another client's message is not found by its id either.
    expect(ids((await request(t.app).get(`/api/notify?q=${bobId}`).set('Authorization', carol).expect(200)).body)).toEqual([]);
    const paged = await request(t.app).get('/api/notify?tag=eu&q=y@example.com&page_size=1&created_after=2026-01-01T00:00:00Z').set('Authorization', carol).expect(200);
    expect(paged.body.count).toBe(1);
    const linked = await request(t.app).get('/api/notify?tag=eu&provider=mailgun&page_size=1&created_before=2027-01-01T00:00:00Z').set('Authorization', carol).expect(200);
    expect(linked.body.count).toBe(1);
    const two = await request(t.app).get('/api/notify?tag=eu&page_size=1&created_before=2027-01-01T00:00:00Z').set('Authorization', carol).expect(200);
    expect(two.body.next).toBe('/api/notify?page=2&page_size=1&tag=eu&created_before=2027-01-01T00%3A00%3A00Z');
    const bad = await request(t.app).get('/api/notify?created_after=yesterday&template_id=x').set('Authorization', carol).expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.created_after', 'query.template_id']);
  });
});

import request from 'supertest';
import { adminBearer, notification, notificationBatch, visitor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const KB = 1024;
const MB = 1024 * KB;

async function count(table: 'contact' | 'notification'): Promise<number> {
  const row = await t.database.db.selectFrom('messages').where('kind', '=', table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('security headers (helmet)', () => {
  it.each([
    ['a JSON answer', 'get', '/livez'],
    ['a problem answer', 'get', '/api/nowhere'],
    ['the contact POST', 'post', '/api/contact'],
    ['the docs page', 'get', '/docs'],
  ] as const)('are on %s', async (_label, method, path) => {
    const req = request(t.app)[method](path);
    const res = method === 'post' ? await req.send(visitor) : await req;
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('let the docs page keep its inline styles and load nothing from elsewhere', async () => {
    const res = await request(t.app).get('/docs').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/style-src 'unsafe-inline'/);
    expect(res.text).not.toMatch(/<script/i);
  });
});

describe('body limits per route', () => {
  it('contact: accepts a body just under 32 KB and answers 413 just over, storing nothing', async () => {
    await request(t.app)
      .post('/api/contact')
      .send({ ...visitor, padding: 'x'.repeat(31 * KB) })
      .expect(202);
    const before = await count('contact');
    const res = await request(t.app)
      .post('/api/contact')
      .send({ ...visitor, padding: 'x'.repeat(32 * KB) })
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 413, title: 'Content Too Large' });
    expect(await count('contact')).toBe(before);
  });

  it('notify: accepts 10 MB of attachments with the largest texts and answers 413 over 15 MB', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * MB - 9, 1)]).toString('base64');
    await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ ...notification, text: 'a'.repeat(490_000), html: `<p>${'b'.repeat(490_000)}</p>`, attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', content: pdf }] })
      .expect(202);
    const before = await count('notification');
    await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ ...notification, text: 'a'.repeat(500_000), html: 'b'.repeat(15 * MB - 500_000) })
      .expect(413);
    expect(await count('notification')).toBe(before);
  });

  it('batch: accepts several MB and answers 413 over 10 MB, storing nothing', async () => {
    const ok = await request(t.app)
      .post('/api/notify/batch')
      .set('Authorization', adminBearer)
      .send({ items: notificationBatch(200, 'big', { text: 't'.repeat(20 * KB) }) })
      .expect(202);
    expect(ok.body.accepted).toBe(200);
    const before = await count('notification');
    const res = await request(t.app)
      .post('/api/notify/batch')
      .set('Authorization', adminBearer)
      .send({ items: notificationBatch(1000, 'huge', { text: 't'.repeat(11 * KB) }) })
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await count('notification')).toBe(before);
  });

  it('does not let a small route borrow a larger limit through a trailing slash or a different case of content type', async () => {
    await request(t.app)
      .post('/api/contact/')
      .set('Content-Type', 'Application/JSON')
      .send(JSON.stringify({ ...visitor, padding: 'x'.repeat(40 * KB) }))
      .expect(413);
  });
});

import request from 'supertest';
import { visitor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    CONTACT_ALLOWED_ORIGINS: 'https://www.example.org, https://shop.example.org/',
    CONTACT_REDIRECT_ALLOWLIST: 'https://www.example.org/thanks,https://shop.example.org',
  });
});
afterAll(async () => {
  await t.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

async function rowOf(id: string) {
  return t.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('honeypot', () => {
  it('answers a filled website field exactly like a real submission, but stores the row suppressed and queues nothing', async () => {
    const real = await request(t.app).post('/api/contact').send(visitor).expect(202);
    const bot = await request(t.app)
      .post('/api/contact')
      .send({ ...visitor, website: 'https://spam.example' })
      .expect(202);
    expect(Object.keys(bot.body).sort()).toEqual(Object.keys(real.body).sort());
    expect(bot.body.status).toBe(real.body.status);
    expect(bot.body.message).toBe(real.body.message);
    expect(await rowOf(bot.body.id)).toMatchObject({ status: 'suppressed', suppression_reason: 'honeypot' });
    expect(await rowOf(real.body.id)).toMatchObject({ status: 'queued', suppression_reason: null });
    expect(await t.infra.queue.getJob(bot.body.id)).toBeUndefined();
    expect(await t.infra.queue.getJob(real.body.id)).toBeDefined();
  });

  it('treats any non-blank value as filled, whatever its type', async () => {
    for (const website of ['x', 0, false, [], {}, ['a']]) {
      const res = await request(t.app)
        .post('/api/contact')
        .send({ ...visitor, website })
        .expect(202);
      expect(await rowOf(res.body.id)).toMatchObject({ status: 'suppressed', suppression_reason: 'honeypot' });
      expect(await t.infra.queue.getJob(res.body.id)).toBeUndefined();
    }
  });

  it('ignores an empty or blank website field', async () => {
    for (const website of ['', '   ', null]) {
      const res = await request(t.app)
        .post('/api/contact')
        .send({ ...visitor, website })
        .expect(202);
      expect(await rowOf(res.body.id)).toMatchObject({ status: 'queued' });
    }
  });

  it('does not queue a suppressed row on replay either', async () => {
    const body = { ...visitor, website: 'spam' };
    const first = await request(t.app).post('/api/contact').set('Idempotency-Key', 'honeypot-replay').send(body).expect(202);
    const again = await request(t.app).post('/api/contact').set('Idempotency-Key', 'honeypot-replay').send(body).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(await t.infra.queue.getJob(first.body.id)).toBeUndefined();
  });

  it('works for HTML form posts too', async () => {
    const res = await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, website: 'http://spam.example' }))
      .expect(202);
    expect(await rowOf(res.body.id)).toMatchObject({ status: 'suppressed', suppression_reason: 'honeypot' });
  });
});

describe('HTML form posts', () => {
  it('accepts application/x-www-form-urlencoded and answers JSON without a redirect field', async () => {
    const res = await request(t.app).post('/api/contact').set('Content-Type', FORM).send(form(visitor)).expect(202);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(await rowOf(res.body.id)).toMatchObject({ contact_name: 'Ada Lovelace', contact_email: 'ada@example.com', text_body: 'Hello there', status: 'queued' });
  });

  it('answers 303 to an allowed redirect URL', async () => {
    const res = await request(t.app)
      .post('/api/contact')
      .set('Content-Type', FORM)
      .send(form({ ...visitor, redirect: 'https://www.example.org/thanks' }))
      .expect(303);
    expect(res.headers.location).toBe('https://www.example.org/thanks');
  });

  it('keeps the query of an allowed page, and allows any page of an origin entry', async () => {
    const withQuery = await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, redirect: 'https://www.example.org/thanks?from=contact' }))
      .expect(303);
    expect(withQuery.headers.location).toBe('https://www.example.org/thanks?from=contact');
    const anyPage = await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, redirect: 'https://shop.example.org/contact/done' }))
      .expect(303);
    expect(anyPage.headers.location).toBe('https://shop.example.org/contact/done');
  });

  it.each([
    ['another site', 'https://evil.example/thanks'],
    ['another page of a URL-only entry', 'https://www.example.org/other'],
    ['another scheme', 'http://www.example.org/thanks'],
    ['another port', 'https://www.example.org:8443/thanks'],
    ['a protocol-relative URL', '//evil.example/thanks'],
    ['a relative path', '/thanks'],
    ['credentials that hide the real host', 'https://www.example.org@evil.example/thanks'],
    ['credentials on an allowed host', 'https://user:pass@www.example.org/thanks'],
    ['a backslash trick', 'https://evil.example\\@www.example.org/thanks'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['a lookalike subdomain', 'https://www.example.org.evil.example/thanks'],
    ['a CRLF header split', 'https://www.example.org/thanks\r\nSet-Cookie: a=b'],
    ['an empty value', ''],
  ])('never redirects to %s; answers JSON instead', async (_label, redirect) => {
    const res = await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, redirect }));
    expect(res.status).toBe(202);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toMatchObject({ status: 'queued' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('does not redirect JSON posts, even to an allowed URL', async () => {
    const res = await request(t.app)
      .post('/api/contact')
      .send({ ...visitor, redirect: 'https://www.example.org/thanks' })
      .expect(202);
    expect(res.headers.location).toBeUndefined();
  });

  it('answers 422 problem+json for an invalid form, not a redirect', async () => {
    const res = await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ name: 'Ada', email: 'nope', message: 'hi', redirect: 'https://www.example.org/thanks' }))
      .expect(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers.location).toBeUndefined();
  });

  it('rejects repeated fields rather than merging them', async () => {
    const res = await request(t.app).post('/api/contact').type('form').send('name=Ada&name=Eve&email=ada%40example.com&message=hello').expect(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
  });

  it('answers 413 for a form body over 32 KB', async () => {
    await request(t.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, message: 'x'.repeat(33 * 1024) }))
      .expect(413);
  });
});

describe('CORS', () => {
  it('answers an allowed preflight with the origin, POST and the headers a form script needs', async () => {
    const res = await request(t.app)
      .options('/api/contact')
      .set('Origin', 'https://www.example.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, idempotency-key')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://www.example.org');
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers']).toMatch(/content-type/);
    expect(res.headers['access-control-allow-headers']).toMatch(/idempotency-key/);
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('accepts an origin written with a trailing slash in the configuration', async () => {
    const res = await request(t.app).options('/api/contact/').set('Origin', 'https://shop.example.org').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.org');
  });

  it.each([
    ['a foreign origin', 'https://evil.example', 'POST', ''],
    ['an allowed origin asking for DELETE', 'https://www.example.org', 'DELETE', ''],
    ['an allowed origin asking for an Authorization header', 'https://www.example.org', 'POST', 'authorization'],
    ['the null origin', 'null', 'POST', ''],
    ['an allowed host over http', 'http://www.example.org', 'POST', ''],
  ])('gives %s no CORS grant', async (_label, origin, method, headers) => {
    let req = request(t.app).options('/api/contact').set('Origin', origin).set('Access-Control-Request-Method', method);
    if (headers !== '') req = req.set('Access-Control-Request-Headers', headers);
    const res = await req.expect(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('adds the grant and the exposed headers to an allowed POST', async () => {
    const res = await request(t.app).post('/api/contact').set('Origin', 'https://www.example.org').send(visitor).expect(202);
    expect(res.headers['access-control-allow-origin']).toBe('https://www.example.org');
    expect(res.headers['access-control-expose-headers']).toMatch(/RateLimit/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('refuses a POST from a foreign origin with 403 and stores nothing', async () => {
    const before = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const res = await request(t.app).post('/api/contact').set('Origin', 'https://evil.example').type('form').send(form(visitor)).expect(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const after = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('still accepts posts without an Origin (servers, curl)', async () => {
    await request(t.app).post('/api/contact').send(visitor).expect(202);
  });

  it('never grants CORS on the authenticated read routes', async () => {
    const res = await request(t.app).options('/api/contact/00000000-0000-4000-8000-000000000000').set('Origin', 'https://www.example.org').set('Access-Control-Request-Method', 'GET');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const list = await request(t.app).get('/api/contact').set('Origin', 'https://www.example.org');
    expect(list.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS with no allowed origins configured', () => {
  let plain: TestApp;
  beforeAll(async () => {
    plain = await startTestApp();
  });
  afterAll(async () => {
    await plain.close();
  });

  it('grants no origin, but still accepts plain posts (a same-site form or a server)', async () => {
    const pre = await request(plain.app).options('/api/contact').set('Origin', 'https://www.example.org').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await request(plain.app).post('/api/contact').set('Origin', 'https://www.example.org').send(visitor).expect(202);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never follows a redirect field when the allowlist is empty', async () => {
    const res = await request(plain.app)
      .post('/api/contact')
      .type('form')
      .send(form({ ...visitor, redirect: 'https://www.example.org/thanks' }))
      .expect(202);
    expect(res.headers.location).toBeUndefined();
  });
});

import request from 'supertest';
import { startTestApp, type TestApp, ADMIN_KEY } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const admin = `Bearer ${ADMIN_KEY}`;
const visitor = { name: 'Ada Lovelace', email: 'ada@example.com', message: 'Hello there' };
const notification = { to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' };
const addresses = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);
const longDomain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`; // 195 octets
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const DAY_MS = 24 * 60 * 60 * 1000;

interface BadInput {
  readonly name: string;
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  /** Send the admin bearer (the notify and read routes need one). */
  readonly auth?: boolean;
  /** An object is sent as JSON; a string is sent as is with `contentType`. */
  readonly body?: object | string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly status: 400 | 403 | 404 | 405 | 413 | 415 | 422;
  /** For 422: a field `errors[].field` must name. */
  readonly field?: string;
  /** For 405: the Allow header. */
  readonly allow?: string;
}

const contact = (body: object | string, rest: Partial<BadInput> & Pick<BadInput, 'name' | 'status'>): BadInput => ({
  method: 'post',
  path: '/api/contact',
  body,
  ...rest,
});
const notify = (body: object | string, rest: Partial<BadInput> & Pick<BadInput, 'name' | 'status'>): BadInput => ({
  method: 'post',
  path: '/api/notify',
  auth: true,
  body,
  ...rest,
});
const list = (query: string, field: string): BadInput => ({
  name: `GET /api/notify?${query}`,
  method: 'get',
  path: `/api/notify?${query}`,
  auth: true,
  status: 422,
  field,
});

const cases: BadInput[] = [
  // POST /api/contact
  contact('{"name": "Ada", ', { name: 'contact: malformed JSON', status: 400, contentType: 'application/json' }),
  contact('null', { name: 'contact: a bare JSON null', status: 400, contentType: 'application/json' }),
  contact({ ...visitor, message: 'x'.repeat(33 * 1024) }, { name: 'contact: body over 32kb', status: 413 }),
  // Plain HTML forms (urlencoded) are accepted since issue 4; multipart is not.
  contact('--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAda\r\n--x--', { name: 'contact: multipart form body', status: 415, contentType: 'multipart/form-data; boundary=x' }),
  contact(JSON.stringify(visitor), { name: 'contact: text/plain body', status: 415, contentType: 'text/plain' }),
  contact(JSON.stringify(visitor), { name: 'contact: JSON in latin1', status: 415, contentType: 'application/json; charset=latin1' }),
  contact({}, { name: 'contact: empty object', status: 422, field: 'email' }),
  contact([visitor], { name: 'contact: an array instead of an object', status: 422, field: '(body)' }),
  contact({ ...visitor, name: undefined }, { name: 'contact: missing name', status: 422, field: 'name' }),
  contact({ ...visitor, name: 42 }, { name: 'contact: name is a number', status: 422, field: 'name' }),
  contact({ ...visitor, name: 'Ada\r\nBcc: victim@example.com' }, { name: 'contact: CRLF in name', status: 422, field: 'name' }),
  contact({ ...visitor, name: 'Ada\nLovelace' }, { name: 'contact: LF in name', status: 422, field: 'name' }),
  contact({ ...visitor, name: 'A'.repeat(201) }, { name: 'contact: name over 200 characters', status: 422, field: 'name' }),
  contact({ ...visitor, email: 'not an address' }, { name: 'contact: email without @', status: 422, field: 'email' }),
  contact({ ...visitor, email: 'ada@example.com\r\nBcc: victim@example.com' }, { name: 'contact: CRLF injection in email', status: 422, field: 'email' }),
  contact({ ...visitor, email: 'ada@example.com\r\n' }, { name: 'contact: trailing CRLF in email', status: 422, field: 'email' }),
  contact({ ...visitor, email: `${'a'.repeat(65)}@example.com` }, { name: 'contact: local part of 65 octets', status: 422, field: 'email' }),
  contact({ ...visitor, email: `${'é'.repeat(33)}@example.com` }, { name: 'contact: local part of 66 octets in 33 characters', status: 422, field: 'email' }),
  contact({ ...visitor, email: `${'a'.repeat(59)}@${longDomain}` }, { name: 'contact: address of 255 octets', status: 422, field: 'email' }),
  contact({ ...visitor, message: '   ' }, { name: 'contact: blank message', status: 422, field: 'message' }),
  contact({ ...visitor, message: 'x'.repeat(10_001) }, { name: 'contact: message over 10000 characters', status: 422, field: 'message' }),
  contact({ ...visitor, message: 'nul\u0000byte' }, { name: 'contact: NUL in message', status: 422, field: 'message' }),
  contact(visitor, { name: 'contact: Idempotency-Key of 256 characters', status: 422, field: 'header.Idempotency-Key', headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
  contact(visitor, { name: 'contact: Idempotency-Key with non-ASCII', status: 422, field: 'header.Idempotency-Key', headers: { 'Idempotency-Key': 'cl\u00e9' } }),
  { name: 'contact: PUT is not allowed', method: 'put', path: '/api/contact', body: visitor, status: 405, allow: 'POST, GET, HEAD' },
  { name: 'contact: DELETE on one message is not allowed', method: 'delete', path: `/api/contact/${UNKNOWN_ID}`, auth: true, status: 405, allow: 'GET, HEAD' },
  { name: 'contact: GET an id that is not a UUID', method: 'get', path: '/api/contact/123', auth: true, status: 404 },

  // POST /api/notify
  notify('{"to": ', { name: 'notify: malformed JSON', status: 400, contentType: 'application/json' }),
  notify({ ...notification, text: 'x'.repeat(15 * 1024 * 1024) }, { name: 'notify: body over 15mb', status: 413 }),
  notify(JSON.stringify(notification), { name: 'notify: text/plain body', status: 415, contentType: 'text/plain' }),
  notify({ to: notification.to, subject: notification.subject }, { name: 'notify: neither text nor html', status: 422, field: 'text' }),
  notify({ subject: 'x', text: 'x' }, { name: 'notify: missing to', status: 422, field: 'to' }),
  notify({ ...notification, to: [] }, { name: 'notify: empty to list', status: 422, field: 'to' }),
  notify({ ...notification, to: addresses(51, 'to') }, { name: 'notify: 51 recipients in to', status: 422, field: 'to' }),
  notify({ ...notification, to: addresses(30, 'to'), cc: addresses(11, 'cc'), bcc: addresses(10, 'bcc') }, { name: 'notify: 51 recipients across to, cc and bcc', status: 422, field: 'to' }),
  notify({ ...notification, to: `${'a'.repeat(65)}@example.com` }, { name: 'notify: local part over 64 octets', status: 422, field: 'to' }),
  notify({ ...notification, to: [`${'a'.repeat(60)}@${longDomain}`] }, { name: 'notify: address over 254 octets', status: 422, field: 'to.0' }),
  notify({ ...notification, to: ['ok@example.com', 'two words@example.com'] }, { name: 'notify: space in a local part', status: 422, field: 'to.1' }),
  notify({ ...notification, cc: ['cc@example.com\r\nBcc: victim@example.com'] }, { name: 'notify: CRLF in a cc address', status: 422, field: 'cc.0' }),
  notify({ ...notification, reply_to: 'reply@example.com\nX-Evil: 1' }, { name: 'notify: LF in reply_to', status: 422, field: 'reply_to' }),
  notify({ ...notification, subject: '' }, { name: 'notify: empty subject', status: 422, field: 'subject' }),
  notify({ ...notification, subject: 's'.repeat(999) }, { name: 'notify: subject of 999 characters', status: 422, field: 'subject' }),
  notify({ ...notification, subject: 'Hi\r\nBcc: victim@example.com' }, { name: 'notify: CRLF in subject', status: 422, field: 'subject' }),
  notify({ ...notification, subject: 'Hi\rthere' }, { name: 'notify: bare CR in subject', status: 422, field: 'subject' }),
  notify({ ...notification, metadata: { blob: 'x'.repeat(16 * 1024) } }, { name: 'notify: metadata over 16 KB', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: ['a'] }, { name: 'notify: metadata is a list', status: 422, field: 'metadata' }),
  // A client sends from MAIL_FROM; users from their own verified address (accounts.md).
  notify({ ...notification, from: 'boss@example.com' }, { name: 'notify: "from" another address than MAIL_FROM', status: 403, field: 'from' }),
  notify({ ...notification, txt: 'typo' }, { name: 'notify: misspelled field "txt"', status: 422, field: 'txt' }),
  notify({ ...notification, send_at: 'tomorrow' }, { name: 'notify: send_at not an ISO date', status: 422, field: 'send_at' }),
  // Issue 19: values Postgres refuses must be refused here, before they reach an INSERT shared with other requests.
  // supertest sends JSON.stringify's output, which writes a lone surrogate as a \udXXX escape.
  notify({ ...notification, metadata: { a: '\ud800' } }, { name: 'notify: lone high surrogate in a metadata value', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: 'x\udc00y' } }, { name: 'notify: lone low surrogate in a metadata value', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: '\udc00\ud800' } }, { name: 'notify: reversed surrogate pair in a metadata value', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { '\ud800': 1 } }, { name: 'notify: lone high surrogate in a metadata key', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { 'k\udfff': 1 } }, { name: 'notify: lone low surrogate in a metadata key', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: { b: { c: 'deep\ud800' } } } }, { name: 'notify: lone surrogate in a nested metadata value', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: { b: { '\udbff': true } } } }, { name: 'notify: lone surrogate in a nested metadata key', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: ['ok', 2, '\udc00'] } }, { name: 'notify: lone surrogate in an array inside metadata', status: 422, field: 'metadata' }),
  notify({ ...notification, metadata: { a: [{ '\ud800x': null }] } }, { name: 'notify: lone surrogate in a key of an object inside a metadata array', status: 422, field: 'metadata' }),
  notify({ ...notification, send_at: '0000-01-01T00:00:00Z' }, { name: 'notify: send_at in year 0', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '-000001-01-01T00:00:00Z' }, { name: 'notify: send_at in a negative year', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '10000-01-01T00:00:00Z' }, { name: 'notify: send_at in year 10000', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '1969-07-20T20:17:40Z' }, { name: 'notify: send_at in 1969', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '1999-12-31T23:59:59.999Z' }, { name: 'notify: send_at a millisecond before 2000', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '2000-01-01T05:00:00+06:00' }, { name: 'notify: send_at in 2000 locally but 1999 in UTC', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: new Date(Date.now() + 367 * DAY_MS).toISOString() }, { name: 'notify: send_at 367 days ahead', status: 422, field: 'send_at' }),
  notify({ ...notification, send_at: '9999-12-31T23:59:59Z' }, { name: 'notify: send_at in year 9999', status: 422, field: 'send_at' }),
  notify({ ...notification, priority: 11 }, { name: 'notify: priority 11', status: 422, field: 'priority' }),
  notify({ ...notification, provider: 'carrier-pigeon' }, { name: 'notify: unknown provider', status: 422, field: 'provider' }),
  notify({ ...notification, use_fallback: 'yes' }, { name: 'notify: use_fallback not a boolean', status: 422, field: 'use_fallback' }),
  notify({ ...notification, tags: ['ok', 'bad\ntag'] }, { name: 'notify: LF in a tag', status: 422, field: 'tags.1' }),
  notify({ ...notification, text: 'nul\u0000byte' }, { name: 'notify: NUL in text', status: 422, field: 'text' }),
  notify(notification, { name: 'notify: empty Idempotency-Key', status: 422, field: 'header.Idempotency-Key', headers: { 'Idempotency-Key': '' } }),
  notify(notification, { name: 'notify: Idempotency-Key of 256 characters', status: 422, field: 'header.Idempotency-Key', headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
  { name: 'notify: DELETE is not allowed', method: 'delete', path: '/api/notify', auth: true, status: 405, allow: 'POST, GET, HEAD' },
  { name: 'notify: GET on the batch endpoint is not allowed', method: 'get', path: '/api/notify/batch', auth: true, status: 405, allow: 'POST' },
  { name: 'notify: PATCH one notification is not allowed', method: 'patch', path: `/api/notify/${UNKNOWN_ID}`, auth: true, body: {}, status: 405, allow: 'GET, HEAD' },
  { name: 'notify: GET an id that is not a UUID', method: 'get', path: '/api/notify/42', auth: true, status: 404 },
  { name: 'notify: GET an unknown id', method: 'get', path: `/api/notify/${UNKNOWN_ID}`, auth: true, status: 404 },
  { name: 'unknown route', method: 'get', path: '/api/nothing-here', status: 404 },
  { name: 'unknown route with a POST body', method: 'post', path: '/api/notifications', body: notification, status: 404 },

  // Query parameters
  list('page=0', 'query.page'),
  list('page=abc', 'query.page'),
  list('page=1&page=2', 'query.page'),
  list('page_size=0', 'query.page_size'),
  list('page_size=101', 'query.page_size'),
  list('page_size=1.5', 'query.page_size'),
  list('status=lost', 'query.status'),
];

async function countRows(): Promise<{ contact: number; notifications: number }> {
  const count = async (table: 'contact' | 'notification') =>
    (await t.database.db.selectFrom('messages').where('kind', '=', table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  return { contact: await count('contact'), notifications: await count('notification') };
}

function send(c: BadInput): request.Test {
  let req = request(t.app)[c.method](c.path);
  if (c.auth === true) req = req.set('Authorization', admin);
  for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
  if (c.contentType !== undefined) req = req.set('Content-Type', c.contentType);
  if (c.body !== undefined) req = req.send(c.body);
  return req;
}

describe('bad input', () => {
  let before: { contact: number; notifications: number };
  beforeAll(async () => {
    // A known row in each table, so "nothing stored" is checked against a non-empty table.
    await request(t.app).post('/api/contact').send(visitor).expect(202);
    await request(t.app).post('/api/notify').set('Authorization', admin).send(notification).expect(202);
    before = await countRows();
  });

  it('has at least 30 named cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await send(c);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: c.status });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
    if (c.field !== undefined) {
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
      // Every complaint says what is wrong, never zod's bare "Invalid input" for a failed union.
      for (const error of res.body.errors) expect(error.message).not.toBe('Invalid input');
    }
    if (c.allow !== undefined) expect(res.headers.allow).toBe(c.allow);
  });

  it('stored no row for any rejected request', async () => {
    expect(await countRows()).toEqual(before);
  });
});

describe('input at the limits is accepted', () => {
  it('stores an IDN domain as punycode', async () => {
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', admin)
      .send({ ...notification, to: 'jürgen@bücher.example', cc: ['info@MÜNCHEN.de'] })
      .expect(422);
    // A non-ASCII local part needs SMTPUTF8, which not every provider has; only the domain may be international.
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['to']);
    const ok = await request(t.app)
      .post('/api/notify')
      .set('Authorization', admin)
      .send({ ...notification, to: 'juergen@bücher.example', cc: ['info@MÜNCHEN.de'] })
      .expect(202);
    const row = await t.database.db.selectFrom('messages').select(['to', 'cc']).where('id', '=', ok.body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ to: ['juergen@xn--bcher-kva.example'], cc: ['info@xn--mnchen-3ya.de'] });
    const visitorRes = await request(t.app).post('/api/contact').send({ ...visitor, email: 'ada@bücher.example' }).expect(202);
    const contactRow = await t.database.db.selectFrom('messages').select('contact_email').where('id', '=', visitorRes.body.id).executeTakeFirstOrThrow();
    expect(contactRow.contact_email).toBe('ada@xn--bcher-kva.example');
  });

  it('accepts a 64-octet local part, a 254-octet address, a 998-character subject and 50 recipients', async () => {
    const address254 = `${'a'.repeat(58)}@${longDomain}`;
    expect(Buffer.byteLength(address254)).toBe(254);
    await request(t.app)
      .post('/api/notify')
      .set('Authorization', admin)
      .send({
        to: [`${'a'.repeat(64)}@example.com`, address254, ...addresses(28, 'to')],
        cc: addresses(10, 'cc'),
        bcc: addresses(10, 'bcc'),
        subject: 's'.repeat(998),
        text: 'x',
      })
      .expect(202);
  });

  it('accepts metadata of exactly 16 KB as JSON and html without text', async () => {
    const filler = 'x'.repeat(16 * 1024 - JSON.stringify({ blob: '' }).length);
    expect(Buffer.byteLength(JSON.stringify({ blob: filler }))).toBe(16 * 1024);
    await request(t.app)
      .post('/api/notify')
      .set('Authorization', admin)
      .send({ to: notification.to, subject: 'meta', html: '<p>hi</p>', metadata: { blob: filler } })
      .expect(202);
  });

  it('accepts send_at from 2000-01-01T00:00:00Z (in the past: sent at once) to 364 days ahead', async () => {
    const earliest = await request(t.app).post('/api/notify').set('Authorization', admin).send({ ...notification, send_at: '2000-01-01T00:00:00Z' }).expect(202);
    expect(earliest.body.status).toBe('queued');
    const ahead = new Date(Date.now() + 364 * DAY_MS);
    const latest = await request(t.app).post('/api/notify').set('Authorization', admin).send({ ...notification, send_at: ahead.toISOString() }).expect(202);
    expect(latest.body.status).toBe('scheduled');
    const rows = await t.database.db.selectFrom('messages').select(['id', 'send_at']).where('id', 'in', [earliest.body.id, latest.body.id]).execute();
    expect(new Map(rows.map((row) => [row.id, row.send_at?.toISOString()]))).toEqual(
      new Map([
        [earliest.body.id, '2000-01-01T00:00:00.000Z'],
        [latest.body.id, ahead.toISOString()],
      ]),
    );
  });

  it('stores metadata with surrogate pairs and escaped-looking text in keys and values exactly as sent', async () => {
    // A real pair is a character; `\\u0000` and `\\ud800` here are six characters of text, not NUL or a surrogate.
    const metadata = { 'rocket \u{1F680}': ['\u{1F600}', { 'ke\u{10FFFF}y': 'text \\u0000 and \\ud800' }] };
    const res = await request(t.app).post('/api/notify').set('Authorization', admin).send({ ...notification, metadata }).expect(202);
    const row = await t.database.db.selectFrom('messages').select('metadata').where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.metadata).toEqual(metadata);
  });

  it('trims spaces around an address', async () => {
    const res = await request(t.app).post('/api/contact').send({ ...visitor, email: ' \tada@example.com ' }).expect(202);
    const row = await t.database.db.selectFrom('messages').select('contact_email').where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.contact_email).toBe('ada@example.com');
  });

  it('ignores unknown fields on the public contact form', async () => {
    await request(t.app).post('/api/contact').send({ ...visitor, submit: 'Send' }).expect(202);
  });
});

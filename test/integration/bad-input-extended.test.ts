import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app';

// The extended table of bad inputs (issue 4): unicode tricks, NUL bytes, nesting, huge arrays,
// wrong content types and encodings, duplicate keys, numbers as strings, prototype-pollution
// keys and odd headers. bad-input.test.ts holds the basic cases; none is repeated here.
// Requests go over a real socket with fetch, so raw bytes reach the server exactly as written.

let t: TestApp;
let server: Server;
let base: string;
beforeAll(async () => {
  t = await startTestApp();
  server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

const admin = `Bearer ${ADMIN_KEY}`;
const visitor = { name: 'Ada Lovelace', email: 'ada@example.com', message: 'Hello there' };
const note = { to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' };
const item = (extra: Record<string, unknown> = {}) => ({ ...note, idempotency_key: `x-${Math.random()}`, ...extra });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObject = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nestedObject(depth - 1) });
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.com`);
const json = (text: string) => ({ raw: text, contentType: 'application/json' });

type Table = 'contact' | 'notification';

interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'POST' | 'OPTIONS';
  readonly path: string;
  readonly auth?: boolean | string;
  /** An object is sent as JSON. */
  readonly body?: unknown;
  /** Sent byte for byte, with `contentType` (or none). */
  readonly raw?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly status: number;
  /** For 422: a field the errors must name. For a batch answering 202: the field of item 0's error. */
  readonly field?: string;
  /** For an accepted request: the table that must gain exactly one row. */
  readonly stores?: Table;
  /** Further checks on an accepted request. */
  readonly check?: (body: Record<string, unknown>, headers: Headers) => Promise<void>;
}

const contact = (name: string, rest: Omit<Case, 'name' | 'path'>): Case => ({ name: `contact: ${name}`, method: 'POST', path: '/api/contact', ...rest });
const notify = (name: string, rest: Omit<Case, 'name' | 'path'>): Case => ({ name: `notify: ${name}`, method: 'POST', path: '/api/notify', auth: true, ...rest });
const batch = (name: string, rest: Omit<Case, 'name' | 'path'>): Case => ({ name: `batch: ${name}`, method: 'POST', path: '/api/notify/batch', auth: true, ...rest });
const list = (name: string, query: string, status: number, field?: string): Case => ({ name: `list: ${name}`, method: 'GET', path: `/api/notify?${query}`, auth: true, status, field });

async function rowOf(table: Table, id: unknown) {
  return t.database.db.selectFrom('messages').where('kind', '=', table).selectAll().where('id', '=', String(id)).executeTakeFirstOrThrow();
}

const cases: Case[] = [
  // Unicode tricks
  contact('U+2028 line separator in name', { body: { ...visitor, name: 'Ada\u2028Bcc: x@evil.example' }, status: 422, field: 'name' }),
  contact('U+2029 paragraph separator in name', { body: { ...visitor, name: 'Ada\u2029Lovelace' }, status: 422, field: 'name' }),
  notify('NEL (U+0085) in subject', { body: { ...note, subject: 'Hi\u0085Bcc: x@evil.example' }, status: 422, field: 'subject' }),
  notify('C1 control CSI (U+009B) in subject', { body: { ...note, subject: 'Hi\u009b31m' }, status: 422, field: 'subject' }),
  contact('right-to-left override (U+202E) in name', { body: { ...visitor, name: 'Invoice\u202Efdp.exe' }, status: 422, field: 'name' }),
  notify('bidi isolate (U+2066) in subject', { body: { ...note, subject: 'Pay \u2066now\u2069' }, status: 422, field: 'subject' }),
  notify('bidi embedding (U+202B) in a tag', { body: { ...note, tags: ['ok', '\u202Bbilling'] }, status: 422, field: 'tags.1' }),
  contact('lone high surrogate in name', { ...json('{"name":"Ada\\ud800","email":"ada@example.com","message":"Hello there"}'), status: 422, field: 'name' }),
  contact('lone low surrogate in message', { ...json('{"name":"Ada","email":"ada@example.com","message":"Hello \\udc00 there"}'), status: 422, field: 'message' }),
  notify('reversed surrogate pair in text', { ...json('{"to":"ops@example.com","subject":"s","text":"\\udc00\\ud800"}'), status: 422, field: 'text' }),
  // Issue 19: every other string that reaches Postgres, with a lone surrogate in it.
  contact('lone surrogate in the email domain', { ...json('{"name":"Ada","email":"ada@exa\\ud800mple.com","message":"Hello there"}'), status: 422, field: 'email' }),
  contact('lone surrogate in the email local part', { ...json('{"name":"Ada","email":"a\\udc00da@example.com","message":"Hello there"}'), status: 422, field: 'email' }),
  notify('lone surrogate in subject', { ...json('{"to":"ops@example.com","subject":"s\\ud800","text":"t"}'), status: 422, field: 'subject' }),
  notify('lone surrogate in html', { ...json('{"to":"ops@example.com","subject":"s","html":"<p>\\udfff</p>"}'), status: 422, field: 'html' }),
  notify('lone surrogate in a tag', { ...json('{"to":"ops@example.com","subject":"s","text":"t","tags":["ok","\\udbff"]}'), status: 422, field: 'tags.1' }),
  notify('lone surrogate in a cc address', { ...json('{"to":"ops@example.com","cc":["c\\ud800@example.com"],"subject":"s","text":"t"}'), status: 422, field: 'cc.0' }),
  notify('lone surrogate in reply_to', { ...json('{"to":"ops@example.com","reply_to":"r@ex\\udc00.com","subject":"s","text":"t"}'), status: 422, field: 'reply_to' }),
  batch('lone surrogate in an item metadata value', { body: { items: [item({ metadata: { a: '\ud800' } })] }, status: 202, field: 'items.0.metadata' }),
  batch('lone surrogate in an item metadata key, nested', { body: { items: [item({ metadata: { a: { '\udc00': 1 } } })] }, status: 202, field: 'items.0.metadata' }),
  batch('lone surrogate in an array inside item metadata', { body: { items: [item({ metadata: { a: [['\udbff']] } })] }, status: 202, field: 'items.0.metadata' }),
  batch('lone surrogate in an item idempotency_key', { body: { items: [item({ idempotency_key: 'k\ud800' })] }, status: 202, field: 'items.0.idempotency_key' }),
  batch('lone surrogate in an item subject', { body: { items: [item({ subject: '\udfff' })] }, status: 202, field: 'items.0.subject' }),
  batch('item send_at in year 0', { body: { items: [item({ send_at: '0000-01-01T00:00:00Z' })] }, status: 202, field: 'items.0.send_at' }),
  batch('item send_at in 1969', { body: { items: [item({ send_at: '1969-12-31T23:59:59Z' })] }, status: 202, field: 'items.0.send_at' }),
  batch('item send_at in 2200', { body: { items: [item({ send_at: '2200-01-01T00:00:00Z' })] }, status: 202, field: 'items.0.send_at' }),
  contact('fullwidth at sign (U+FF20) in email', { body: { ...visitor, email: 'ada\uFF20example.com' }, status: 422, field: 'email' }),
  notify('zero-width space inside an address', { body: { ...note, to: 'ops\u200B@example.com' }, status: 422, field: 'to' }),
  notify('zero-width joiner in a domain', { body: { ...note, to: 'ops@exa\u200Dmple.com' }, status: 422, field: 'to' }),
  contact('emoji (a valid surrogate pair) in name is stored as sent', {
    body: { ...visitor, name: 'Ada \u{1F680} Lovelace' },
    status: 202,
    stores: 'contact',
    check: async (body) => expect((await rowOf('contact', body.id)).contact_name).toBe('Ada \u{1F680} Lovelace'),
  }),
  notify('right-to-left script without control characters is fine', { body: { ...note, subject: 'שלום עולם' }, status: 202, stores: 'notification' }),
  contact('invalid UTF-8 bytes become U+FFFD, never a 500', {
    raw: Buffer.concat([Buffer.from('{"name":"Ada'), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from('","email":"ada@example.com","message":"Hello there"}')]),
    contentType: 'application/json',
    status: 202,
    stores: 'contact',
    check: async (body) => expect((await rowOf('contact', body.id)).contact_name).toMatch(/^Ada\uFFFD+$/),
  }),
  contact('a UTF-8 byte order mark before the JSON', { raw: `\uFEFF${JSON.stringify(visitor)}`, contentType: 'application/json', status: 202, stores: 'contact' }),
  contact('JSON declared as charset=utf-16', { raw: JSON.stringify(visitor), contentType: 'application/json; charset=utf-16', status: 415 }),

  // NUL bytes
  contact('NUL in name', { body: { ...visitor, name: 'Ada\u0000' }, status: 422, field: 'name' }),
  contact('NUL in email', { body: { ...visitor, email: 'ada@example.com\u0000.evil.example' }, status: 422, field: 'email' }),
  notify('NUL in subject', { body: { ...note, subject: 'Hi\u0000there' }, status: 422, field: 'subject' }),
  notify('NUL in html', { body: { to: note.to, subject: note.subject, html: '<p>a\u0000b</p>' }, status: 422, field: 'html' }),
  notify('NUL in a metadata key', { body: { ...note, metadata: { 'key\u0000': 1 } }, status: 422, field: 'metadata' }),
  notify('NUL deep in a metadata value', { body: { ...note, metadata: { a: { b: ['x', 'y\u0000'] } } }, status: 422, field: 'metadata' }),
  notify('NUL in a tag', { body: { ...note, tags: ['a\u0000'] }, status: 422, field: 'tags.0' }),
  contact('a raw NUL byte between JSON tokens', { raw: '{"name":"Ada",\u0000"email":"ada@example.com","message":"Hello there"}', contentType: 'application/json', status: 400 }),
  contact('a raw NUL byte in a form field', { raw: 'name=Ada%00&email=ada%40example.com&message=Hello+there', contentType: 'application/x-www-form-urlencoded', status: 422, field: 'name' }),
  list('NUL in the status filter', 'status=%00', 422, 'query.status'),
  { name: 'read: NUL as a message id', method: 'GET', path: '/api/contact/%00', auth: true, status: 404 },
  batch('NUL in an item idempotency_key', { body: { items: [item({ idempotency_key: 'k\u0000' })] }, status: 202, field: 'items.0.idempotency_key' }),

  // Nested JSON
  notify('metadata nested 17 levels', { body: { ...note, metadata: nestedObject(17) as Record<string, unknown> }, status: 422, field: 'metadata' }),
  notify('metadata nested 200000 levels', { ...json(`{"to":"ops@example.com","subject":"s","text":"t","metadata":{"a":${nested(200_000)}}}`), status: 422, field: 'metadata' }),
  batch('item metadata nested 50 levels', { body: { items: [item({ metadata: nestedObject(50) })] }, status: 202, field: 'items.0.metadata' }),
  contact('an unknown field nested 15000 levels is ignored', { ...json(`{"name":"Ada","email":"ada@example.com","message":"Hello there","extra":${nested(15_000)}}`), status: 202, stores: 'contact' }),
  contact('a honeypot nested 15000 levels is still a honeypot', {
    ...json(`{"name":"Ada","email":"ada@example.com","message":"Hello there","website":${nested(15_000)}}`),
    status: 202,
    stores: 'contact',
    check: async (body) => expect((await rowOf('contact', body.id)).status).toBe('suppressed'),
  }),
  contact('name as an object', { body: { ...visitor, name: { first: 'Ada', last: 'Lovelace' } }, status: 422, field: 'name' }),
  notify('to as a list of lists', { body: { ...note, to: [['ops@example.com']] }, status: 422, field: 'to.0' }),
  notify('subject as a list', { body: { ...note, subject: ['Disk', 'full'] }, status: 422, field: 'subject' }),
  notify('text as a file reference object', { body: { ...note, text: { path: '/etc/passwd' } }, status: 422, field: 'text' }),
  contact('a bare JSON string as the body', { raw: '"name=Ada"', contentType: 'application/json', status: 400 }),
  contact('a bare JSON number as the body', { raw: '42', contentType: 'application/json', status: 400 }),
  batch('items as an object', { body: { items: { 0: item() } }, status: 422, field: 'items' }),
  batch('an item that is a list', { body: { items: [[item()]] }, status: 202, field: 'items.0' }),

  // Huge arrays
  batch('1001 items', { body: { items: Array.from({ length: 1001 }, () => item()) }, status: 422, field: 'items' }),
  batch('no items', { body: { items: [] }, status: 422, field: 'items' }),
  // The notify limit is 15 MB, room for 10 MB of attachments in base64 (accounts.md).
  notify('800000 recipients (over 15 MB)', { body: { ...note, to: addresses(800_000) }, status: 413 }),
  notify('30000 recipients (under 1 MB)', { body: { ...note, to: addresses(30_000) }, status: 422, field: 'to' }),
  notify('10000 tags', { body: { ...note, tags: Array.from({ length: 10_000 }, () => 'a') }, status: 422, field: 'tags' }),
  notify('metadata holding 200000 numbers', { ...json(`{"to":"ops@example.com","subject":"s","text":"t","metadata":{"a":[${Array.from({ length: 200_000 }, () => '0').join(',')}]}}`), status: 422, field: 'metadata' }),
  contact('a honeypot holding 5000 values is still a honeypot', { body: { ...visitor, website: Array.from({ length: 5000 }, (_, i) => i) }, status: 202, stores: 'contact' }),
  list('2000 repeated page parameters', Array.from({ length: 2000 }, () => 'page=1').join('&'), 422, 'query.page'),

  // Wrong content types and encodings
  contact('application/xml', { raw: '<contact><name>Ada</name></contact>', contentType: 'application/xml', status: 415 }),
  contact('text/html', { raw: '<form></form>', contentType: 'text/html', status: 415 }),
  contact('a body with no Content-Type', { raw: Buffer.from(JSON.stringify(visitor)), status: 415 }),
  contact('JSON declared as charset=utf-7 (+ADw- would decode to <)', { raw: JSON.stringify(visitor), contentType: 'application/json; charset=utf-7', status: 415 }),
  contact('a form declared as charset=utf-7', { raw: 'name=Ada&email=ada%40example.com&message=Hello', contentType: 'application/x-www-form-urlencoded; charset=utf-7', status: 415 }),
  contact('Content-Encoding gzip over a plain body', { raw: JSON.stringify(visitor), contentType: 'application/json', headers: { 'Content-Encoding': 'gzip' }, status: 400 }),
  contact('an unsupported Content-Encoding', { raw: JSON.stringify(visitor), contentType: 'application/json', headers: { 'Content-Encoding': 'compress' }, status: 415 }),
  notify('a form body (forms are for the contact endpoint only)', { raw: 'to=ops%40example.com&subject=s&text=t', contentType: 'application/x-www-form-urlencoded', status: 415 }),
  notify('multipart/form-data', { raw: '--b\r\nContent-Disposition: form-data; name="to"\r\n\r\nops@example.com\r\n--b--', contentType: 'multipart/form-data; boundary=b', status: 415 }),
  contact('JSON declared as charset=utf-32', { raw: JSON.stringify(visitor), contentType: 'application/json; charset="UTF-32"', status: 415 }),
  notify('application/merge-patch+json', { raw: JSON.stringify(note), contentType: 'application/merge-patch+json', status: 415 }),
  batch('text/plain', { raw: JSON.stringify({ items: [item()] }), contentType: 'text/plain', status: 415 }),

  // Duplicate JSON keys: the last one wins, and it is the one validated
  notify('duplicate subject, the last with CRLF', { ...json('{"to":"ops@example.com","subject":"ok","subject":"x\\r\\nBcc: y@evil.example","text":"t"}'), status: 422, field: 'subject' }),
  notify('duplicate subject, the first with CRLF, stores the last', {
    ...json('{"to":"ops@example.com","subject":"x\\r\\nBcc: y@evil.example","subject":"clean","text":"t"}'),
    status: 202,
    stores: 'notification',
    check: async (body) => expect((await rowOf('notification', body.id)).subject).toBe('clean'),
  }),
  contact('duplicate email, the last invalid', { ...json('{"name":"Ada","email":"ada@example.com","email":"not-an-address","message":"Hello there"}'), status: 422, field: 'email' }),
  batch('duplicate items, the last empty', { ...json(`{"items":[${JSON.stringify(item())}],"items":[]}`), status: 422, field: 'items' }),
  notify('duplicate to, the last with 51 recipients', { ...json(`{"to":"ops@example.com","to":${JSON.stringify(addresses(51))},"subject":"s","text":"t"}`), status: 422, field: 'to' }),

  // Numbers as strings, and numbers that are not what they seem
  notify('priority "5" as a string', { body: { ...note, priority: '5' }, status: 422, field: 'priority' }),
  notify('use_fallback "true" as a string', { body: { ...note, use_fallback: 'true' }, status: 422, field: 'use_fallback' }),
  notify('use_fallback 1 as a number', { body: { ...note, use_fallback: 1 }, status: 422, field: 'use_fallback' }),
  notify('send_at as epoch seconds', { body: { ...note, send_at: 1_900_000_000 }, status: 422, field: 'send_at' }),
  notify('priority 1e400 (Infinity once parsed)', { ...json('{"to":"ops@example.com","subject":"s","text":"t","priority":1e400}'), status: 422, field: 'priority' }),
  notify('priority 5.5', { body: { ...note, priority: 5.5 }, status: 422, field: 'priority' }),
  contact('email as a number', { body: { ...visitor, email: 12345 }, status: 422, field: 'email' }),
  batch('an item idempotency_key as a number', { body: { items: [item({ idempotency_key: 42 })] }, status: 202, field: 'items.0.idempotency_key' }),
  list('a page number past 2^64', 'page=99999999999999999999', 422, 'query.page'),
  list('a negative page size', 'page_size=-5', 422, 'query.page_size'),
  list('NaN as a page', 'page=NaN', 422, 'query.page'),

  // Prototype-pollution keys
  contact('a __proto__ key is ignored', { ...json('{"name":"Ada","email":"ada@example.com","message":"Hello there","__proto__":{"polluted":true}}'), status: 202, stores: 'contact' }),
  contact('a constructor.prototype key is ignored', { ...json('{"name":"Ada","email":"ada@example.com","message":"Hello there","constructor":{"prototype":{"polluted":true}}}'), status: 202, stores: 'contact' }),
  contact('__proto__ and constructor form fields are ignored', { raw: 'name=Ada&email=ada%40example.com&message=Hello+there&__proto__=x&constructor=y&__proto__%5Bpolluted%5D=1', contentType: 'application/x-www-form-urlencoded', status: 202, stores: 'contact' }),
  notify('a top-level __proto__ key is rejected as unknown', { ...json('{"to":"ops@example.com","subject":"s","text":"t","__proto__":{"polluted":true}}'), status: 422 }),
  notify('a top-level constructor key is rejected as unknown', { body: { ...note, constructor: { prototype: { polluted: true } } }, status: 422, field: 'constructor' }),
  notify('a metadata __proto__ key is dropped, not applied', {
    ...json('{"to":"ops@example.com","subject":"s","text":"t","metadata":{"__proto__":{"polluted":true},"kept":1}}'),
    status: 202,
    stores: 'notification',
    check: async (body) => {
      const row = await rowOf('notification', body.id);
      expect(row.metadata).toEqual({ kept: 1 });
      expect(Object.getPrototypeOf(row.metadata)).toBe(Object.prototype);
    },
  }),
  notify('a metadata constructor key is kept as plain data', {
    body: { ...note, metadata: { constructor: { prototype: { polluted: true } } } },
    status: 202,
    stores: 'notification',
    check: async (body) => expect((await rowOf('notification', body.id)).metadata).toEqual({ constructor: { prototype: { polluted: true } } }),
  }),
  batch('an item with a __proto__ key', { ...json(`{"items":[${JSON.stringify(item()).slice(0, -1)},"__proto__":{"polluted":true}}]}`), status: 202, field: 'items.0.__proto__' }),
  list('__proto__ and constructor in the query are ignored', '__proto__[polluted]=1&constructor[prototype][polluted]=1', 200),
  contact('an Idempotency-Key of "__proto__" is just a key', { body: visitor, headers: { 'Idempotency-Key': '__proto__' }, status: 202, stores: 'contact' }),

  // Odd credentials, paths and headers
  notify('Basic instead of Bearer', { body: note, auth: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}`, status: 401 }),
  notify('a 5000-character bearer token', { body: note, auth: `Bearer ${'a'.repeat(5000)}`, status: 401 }),
  notify('two bearer tokens', { body: note, auth: `Bearer ${ADMIN_KEY} ${ADMIN_KEY}`, status: 401 }),
  notify('the admin key with a trailing NUL-like suffix', { body: note, auth: `Bearer ${ADMIN_KEY}%00`, status: 401 }),
  { name: 'read: a path that is not valid percent-encoding', method: 'GET', path: '/api/contact/%E0%A4%A', auth: true, status: 400 },
  { name: 'read: an encoded path traversal', method: 'GET', path: '/api/contact/..%2f..%2fetc%2fpasswd', auth: true, status: 404 },
  contact('a 1000-character X-Request-Id is replaced, not echoed', {
    body: visitor,
    headers: { 'X-Request-Id': 'r'.repeat(1000) },
    status: 202,
    stores: 'contact',
    check: async (_body, headers) => expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/),
  }),
  contact('X-Forwarded-For garbage is ignored without TRUST_PROXY', {
    body: visitor,
    headers: { 'X-Forwarded-For': 'not-an-ip, 999.1.1.1, ::zz' },
    status: 202,
    stores: 'contact',
    check: async (body) => expect((await rowOf('contact', body.id)).source_ip).toMatch(/127\.0\.0\.1/),
  }),
];

async function countRows(): Promise<Record<Table, number>> {
  const count = async (table: Table) => Number((await t.database.db.selectFrom('messages').where('kind', '=', table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { contact: await count('contact'), notification: await count('notification') };
}

async function send(c: Case): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.auth === true) headers.Authorization = admin;
  else if (typeof c.auth === 'string') headers.Authorization = c.auth;
  let body: string | Uint8Array | undefined;
  if (c.raw !== undefined) {
    body = typeof c.raw === 'string' ? new TextEncoder().encode(c.raw) : new Uint8Array(c.raw);
    if (c.contentType !== undefined) headers['Content-Type'] = c.contentType;
  } else if (c.body !== undefined) {
    body = JSON.stringify(c.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${base}${c.path}`, { method: c.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

describe('extended bad input', () => {
  beforeAll(async () => {
    // Known rows in each table, so "nothing stored" is checked against non-empty tables.
    await send({ name: 'seed', method: 'POST', path: '/api/contact', body: visitor, status: 202 });
    await send({ name: 'seed', method: 'POST', path: '/api/notify', auth: true, body: note, status: 202 });
  });

  it('has at least 60 named cases, each named once', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await countRows();
    const res = await send(c);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: c.status });
    const after = await countRows();
    const expected = { ...before };
    if (c.stores !== undefined) expected[c.stores] += 1;
    // A rejected request stores nothing; an accepted one stores exactly its row.
    expect(after).toEqual(expected);

    const isBatchAnswer = c.path.startsWith('/api/notify/batch') && res.status === 202;
    if (res.status >= 400) {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), detail: expect.any(String) });
      if (c.field !== undefined) expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(c.field);
    } else if (isBatchAnswer) {
      // The envelope was fine; the item was refused on its own and stored nothing.
      const results = res.body.results as { status: number; errors?: { field: string }[] }[];
      expect(res.body).toMatchObject({ accepted: 0, rejected: 1 });
      expect(results[0]?.status).toBe(422);
      if (c.field !== undefined) expect(results[0]?.errors?.map((e) => e.field)).toContain(c.field);
    }
    if (c.check !== undefined) await c.check(res.body, res.headers);
  });

  it('left Object.prototype untouched', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

import { sql } from 'kysely';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../../workers/worker-runtime';
import { notification } from '../../support/fixtures';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../../support/smtp-sink';
import { startTestApp, type TestApp } from '../../support/test-app';
import { waitUntil } from '../../support/wait';

// design/engagement.md, Unsubscribe and suppressions: one-click unsubscribe (RFC 8058), the
// accept-time check and the suppressions API.

const PUBLIC_URL = 'https://herald.example.org';

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, PUBLIC_URL, CONTACT_INBOX: 'postmaster@herald.example.org', BOUNCE_SUPPRESSION_DAYS: '7' });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

/** A client of its own: suppressions are per client. */
async function client() {
  return t.bearerWith('notify:send', 'messages:read', 'suppressions:write', 'contacts:write', 'templates:write');
}

async function send(auth: string, body: Record<string, unknown>) {
  return request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, ...body }).expect(202);
}

async function mailOf(id: string): Promise<SinkMessage> {
  return waitUntil(() => sink.messages.find((m) => m.parsed.messageId?.includes(id)), { what: `the mail of ${id}` });
}

const rawHeader = (mail: SinkMessage, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(mail.raw.replace(/\r\n[ \t]+/g, ' '))?.[1];

async function suppressionRows(address: string) {
  return t.database.db.selectFrom('suppressions').selectAll().where('address', '=', address).execute();
}

describe('marketing mail', () => {
  it('carries List-Unsubscribe (https and mailto), List-Unsubscribe-Post and its {{unsubscribe_url}}; transactional mail does not', async () => {
    const auth = await client();
    const marketing = await send(auth, { to: 'reader@example.com', category: 'marketing', html: '<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>', text: 'Leave: {{ unsubscribe_url }}' });
    const mail = await mailOf(marketing.body.id as string);
    const listUnsubscribe = rawHeader(mail, 'List-Unsubscribe') ?? '';
    const token = new RegExp(`<${PUBLIC_URL}/u/([A-Za-z0-9_-]{22})>`).exec(listUnsubscribe)?.[1];
    expect(token).toBeDefined();
    expect(listUnsubscribe).toContain(`<mailto:postmaster@herald.example.org?subject=unsubscribe%20${token}>`);
    expect(rawHeader(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(String(mail.parsed.html)).toContain(`href="${PUBLIC_URL}/u/${token}"`);
    expect(mail.parsed.text).toContain(`Leave: ${PUBLIC_URL}/u/${token}`);

    const transactional = await send(auth, { to: 'reader@example.com', html: '<p>Receipt</p>' });
    const plain = await mailOf(transactional.body.id as string);
    expect(rawHeader(plain, 'List-Unsubscribe')).toBeUndefined();
    expect(rawHeader(plain, 'List-Unsubscribe-Post')).toBeUndefined();
  });

  it('fills {{unsubscribe_url}} in a template', async () => {
    const auth = await client();
    await request(t.app).post('/api/templates').set('Authorization', auth).send({ name: 'news', subject: 'News for {{name}}', html: '<p>Hi {{name}}</p><a href="{{unsubscribe_url}}">stop</a>' }).expect(201);
    const res = await send(auth, { to: 'fan@example.com', subject: undefined, text: undefined, template: 'news', variables: { name: 'Ada' }, category: 'marketing' });
    const html = String((await mailOf(res.body.id as string)).parsed.html);
    expect(html).toMatch(new RegExp(`<a href="${PUBLIC_URL}/u/[A-Za-z0-9_-]{22}">stop</a>`));
  });

  it('goes to one recipient', async () => {
    const auth = await client();
    const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, to: ['a@example.com', 'b@example.com'], category: 'marketing' }).expect(422);
    expect(JSON.stringify(res.body)).toContain('one recipient');
  });
});

describe('the unsubscribe link', () => {
  it('shows a page on GET and changes nothing; POST unsubscribes; the next marketing message is suppressed and never sent, a transactional one is', async () => {
    const auth = await client();
    const address = 'Leaving@Example.com';
    const contact = await request(t.app).post('/api/contacts').set('Authorization', auth).send({ email: address }).expect(201);
    const first = await send(auth, { to: address, category: 'marketing', html: '<p>Sale</p>' });
    const token = new RegExp(`${PUBLIC_URL}/u/([A-Za-z0-9_-]{22})`).exec(rawHeader(await mailOf(first.body.id as string), 'List-Unsubscribe') ?? '')?.[1] ?? '';

    const page = await request(t.app).get(`/u/${token}`).expect(200);
    expect(page.text).toContain(`<form method="post" action="/u/${token}">`);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(await suppressionRows('leaving@example.com')).toEqual([]);

    await request(t.app).post(`/u/${token}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(await suppressionRows('leaving@example.com')).toMatchObject([{ reason: 'unsubscribed', message_id: first.body.id, expires_at: null }]);
    const updated = await t.database.db.selectFrom('contacts').select('unsubscribed_at').where('id', '=', contact.body.id as string).executeTakeFirstOrThrow();
    expect(updated.unsubscribed_at).not.toBeNull();
    // Twice is once.
    await request(t.app).post(`/u/${token}`).expect(200);
    const events = await t.database.db.selectFrom('message_events').select('type').where('message_id', '=', first.body.id as string).where('type', '=', 'unsubscribed').execute();
    expect(events).toHaveLength(1);

    const next = await send(auth, { to: address, category: 'marketing', html: '<p>Another sale</p>' });
    expect(next.body).toMatchObject({ status: 'suppressed', suppression_reason: 'unsubscribed', suppressed_recipients: [{ address: 'Leaving@example.com', reason: 'unsubscribed' }] });
    const receipt = await send(auth, { to: address, html: '<p>Your receipt</p>' });
    expect(receipt.body.status).toBe('queued');
    await mailOf(receipt.body.id as string);
    const stored = await t.database.db.selectFrom('messages').select(['status', 'suppression_reason']).where('id', '=', next.body.id as string).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'suppressed', suppression_reason: 'unsubscribed' });
    expect(sink.messages.some((m) => m.parsed.messageId?.includes(next.body.id as string))).toBe(false);
    const attempts = await t.database.db.selectFrom('delivery_attempts').select('id').where('message_id', '=', next.body.id as string).execute();
    expect(attempts).toEqual([]);
  });

  it('answers an unknown token 404 on GET and POST', async () => {
    await request(t.app).get('/u/AAAAAAAAAAAAAAAAAAAAAA').expect(404);
    await request(t.app).post('/u/AAAAAAAAAAAAAAAAAAAAAA').expect(404);
    await request(t.app).post('/u/x').expect(404);
  });
});

describe('suppressions at accept', () => {
  it('drops suppressed recipients of a message with others left and names them; hard bounces and complaints stop transactional mail', async () => {
    const auth = await client();
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'bounced@example.com', reason: 'hard_bounce' }).expect(201);
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'angry@example.com', reason: 'complaint' }).expect(201);
    const res = await send(auth, { to: ['bounced@example.com', 'fine@example.com'], cc: ['Angry@example.com'] });
    expect(res.body).toMatchObject({ status: 'queued', suppressed_recipients: [{ address: 'bounced@example.com', reason: 'hard_bounce' }, { address: 'Angry@example.com', reason: 'complaint' }] });
    const mail = await mailOf(res.body.id as string);
    expect(mail.envelope.rcptTo).toEqual(['fine@example.com']);
    const all = await send(auth, { to: 'bounced@example.com' });
    expect(all.body).toMatchObject({ status: 'suppressed', suppression_reason: 'hard_bounce' });
    const suppressedEvent = await t.database.db.selectFrom('message_events').select('data').where('message_id', '=', all.body.id as string).where('type', '=', 'suppressed').executeTakeFirstOrThrow();
    expect(suppressedEvent.data).toEqual({ reason: 'hard_bounce' });
  });

  it('keeps an unsubscribe from stopping transactional mail, and another client\'s list from stopping this one\'s', async () => {
    const auth = await client();
    const other = await client();
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'u@example.com', reason: 'unsubscribed' }).expect(201);
    expect((await send(auth, { to: 'u@example.com' })).body.status).toBe('queued');
    expect((await send(auth, { to: 'u@example.com', category: 'marketing' })).body.status).toBe('suppressed');
    expect((await send(other, { to: 'u@example.com', category: 'marketing' })).body.status).toBe('queued');
  });

  it('suppresses every client for an entry with no client, and not after a hard bounce expired', async () => {
    const auth = await client();
    await sql`insert into suppressions (client_id, address, reason) values (null, 'everyone@example.com', 'complaint')`.execute(t.database.db);
    await sql`insert into suppressions (client_id, address, reason, expires_at) values (null, 'expired@example.com', 'hard_bounce', now() - interval '1 day')`.execute(t.database.db);
    // What this process believed a moment ago about the list is asked again within a second.
    const status = await waitUntil(async () => {
      const res = await send(auth, { to: 'everyone@example.com', idempotency_key: undefined });
      return res.body.status === 'suppressed' ? res.body.status : undefined;
    }, { what: 'the entry for every client to be seen', timeoutMs: 5000, intervalMs: 200 });
    expect(status).toBe('suppressed');
    expect((await send(auth, { to: 'expired@example.com' })).body.status).toBe('queued');
  });

  it('is checked per item in a batch, one answer each', async () => {
    const auth = await client();
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'gone@example.com' }).expect(201);
    const res = await request(t.app)
      .post('/api/notify/batch')
      .set('Authorization', auth)
      .send({ items: [{ ...notification, to: 'gone@example.com', idempotency_key: 'b-1' }, { ...notification, to: ['gone@example.com', 'here@example.com'], idempotency_key: 'b-2' }, { ...notification, idempotency_key: 'b-3' }] })
      .expect(202);
    expect(res.body.results).toEqual([
      expect.objectContaining({ status: 202, message_status: 'suppressed', suppression_reason: 'manual', suppressed_recipients: [{ address: 'gone@example.com', reason: 'manual' }] }),
      expect.objectContaining({ status: 202, suppressed_recipients: [{ address: 'gone@example.com', reason: 'manual' }] }),
      expect.not.objectContaining({ suppressed_recipients: expect.anything() }),
    ]);
  });
});

describe('the suppressions API', () => {
  it('lists, adds and removes with suppressions:write; a hard bounce expires after BOUNCE_SUPPRESSION_DAYS', async () => {
    const auth = await client();
    const reader = await t.bearerWith('messages:read');
    await request(t.app).get('/api/suppressions').set('Authorization', reader).expect(403);
    await request(t.app).post('/api/suppressions').set('Authorization', reader).send({ address: 'x@example.com' }).expect(403);
    const added = await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'Person@Example.com' }).expect(201);
    expect(added.body).toMatchObject({ address: 'person@example.com', reason: 'manual', scope: 'client', expires_at: null });
    const bounce = await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'b@example.com', reason: 'hard_bounce' }).expect(201);
    const days = (Date.parse(bounce.body.expires_at as string) - Date.parse(bounce.body.created_at as string)) / 86_400_000;
    expect(days).toBeCloseTo(7, 2);
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'second@example.com' }).expect(201);
    const list = await request(t.app).get('/api/suppressions?page_size=1&reason=manual').set('Authorization', auth).expect(200);
    expect(list.body).toMatchObject({ count: 2, previous: null, next: '/api/suppressions?page=2&page_size=1&reason=manual', results: [{ address: 'second@example.com' }] });
    // An entry for every client shows in every client's list.
    const everyone = await request(t.app).get('/api/suppressions?address=everyone@example.com').set('Authorization', auth).expect(200);
    expect(everyone.body.results).toEqual([expect.objectContaining({ scope: 'global', reason: 'complaint' })]);
    const filtered = await request(t.app).get('/api/suppressions?reason=hard_bounce').set('Authorization', auth).expect(200);
    expect(filtered.body.results).toEqual([expect.objectContaining({ address: 'b@example.com' })]);
    await request(t.app).post('/api/suppressions').set('Authorization', auth).send({ address: 'not an address' }).expect(422);
    await request(t.app).delete('/api/suppressions/PERSON@example.com').set('Authorization', auth).expect(204);
    await request(t.app).delete('/api/suppressions/person@example.com').set('Authorization', auth).expect(404);
    expect((await send(auth, { to: 'person@example.com' })).body.status).toBe('queued');
  });
});

import { sql } from 'kysely';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../../workers/worker-runtime';
import { notification } from '../../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink';
import { startTestApp, type TestApp } from '../../support/test-app';
import { waitUntil } from '../../support/wait';

// design/engagement.md, Statistics: a small scripted scenario whose counts are known.

const PUBLIC_URL = 'https://herald.example.org';
const PERSON = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const HTML = '<html><body><a href="https://example.com/offer">Offer</a></body></html>';

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;
let auth: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, PUBLIC_URL, TRACK_OPENS: 'true', TRACK_CLICKS: 'true' });
  worker = await startWorkerRuntime(t.infra);
  auth = await t.bearerWith('notify:send', 'messages:read', 'templates:write');
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

interface Sent {
  readonly id: string;
  readonly pixel: string;
  readonly link: string;
  readonly unsubscribe?: string;
}

async function sent(body: Record<string, unknown>): Promise<Sent> {
  const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, html: HTML, ...body }).expect(202);
  const id = res.body.id as string;
  const mail = await waitUntil(() => sink.messages.find((m) => m.parsed.messageId?.includes(id)), { what: `the mail of ${id}` });
  await waitUntil(async () => (await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirst())?.status === 'sent', { what: 'sent' });
  // People do not open mail within two seconds of its sending; this scenario's did it an hour later.
  await sql`update messages set sent_at = now() - interval '1 hour' where id = ${id}`.execute(t.database.db);
  const html = String(mail.parsed.html);
  const unsubscribe = /\/u\/([A-Za-z0-9_-]{22})/.exec(html)?.[1];
  return {
    id,
    pixel: /\/t\/o\/([A-Za-z0-9_-]{22})\.gif/.exec(html)?.[1] ?? '',
    link: /\/t\/c\/([A-Za-z0-9_-]{22})/.exec(html)?.[1] ?? '',
    ...(unsubscribe === undefined ? {} : { unsubscribe }),
  };
}

/** What a provider's webhook would record (the provider-events work writes these). */
async function providerEvent(id: string, type: 'delivered' | 'bounced' | 'complained', data: Record<string, unknown> = {}): Promise<void> {
  await sql`insert into message_events (message_id, type, data) values (${id}, ${type}, ${JSON.stringify(data)}::jsonb)`.execute(t.database.db);
}

const open = (s: Sent, agent = PERSON) => request(t.app).get(`/t/o/${s.pixel}.gif`).set('User-Agent', agent).expect(200);
const click = (s: Sent, agent = PERSON) => request(t.app).get(`/t/c/${s.link}`).set('User-Agent', agent).expect(302);

it('adds up: sent, delivered, bounced, complained, human and machine opens, clicks, conversions, unsubscribes and their rates over delivered', async () => {
  const a = await sent({ tags: ['launch'], category: 'marketing', html: `${HTML}<a href="{{unsubscribe_url}}">stop</a>` });
  const b = await sent({ tags: ['launch'] });
  const c = await sent({ tags: ['launch'] });
  const d = await sent({ tags: ['other'] });
  await providerEvent(a.id, 'delivered');
  await providerEvent(b.id, 'delivered');
  await providerEvent(c.id, 'bounced');
  // A soft bounce (the provider tries again) is recorded but is no bounce of the message.
  await providerEvent(b.id, 'bounced', { bounce: 'soft' });
  await providerEvent(b.id, 'complained');
  await open(a);
  await open(a);
  await open(a, 'Mozilla/5.0');
  await open(b);
  await open(d);
  await click(b);
  await click(b, 'Mozilla/5.0 (compatible; Barracuda Sentinel)');
  await request(t.app).post('/api/events/track').set('Authorization', auth).send({ message_id: a.id, type: 'converted' }).expect(201);
  await request(t.app).post(`/u/${a.unsubscribe ?? ''}`).expect(200);

  const today = new Date().toISOString().slice(0, 10);
  const res = await request(t.app).get(`/api/stats?from=${today}&to=${today}&tag=launch`).set('Authorization', auth).expect(200);
  const expected = {
    sent: 3,
    delivered: 2,
    bounced: 1,
    complained: 1,
    unique_human_opens: 2,
    machine_opens: 1,
    unique_clicks: 1,
    conversions: 1,
    unsubscribes: 1,
    rates: { bounce: 0.5, complaint: 0.5, open: 1, click: 0.5, conversion: 0.5, unsubscribe: 0.5 },
  };
  expect(res.body).toEqual({ from: today, to: today, tag: 'launch', template: null, totals: expected, days: [{ date: today, ...expected }] });

  const untagged = await request(t.app).get('/api/stats').set('Authorization', auth).expect(200);
  expect(untagged.body.totals).toMatchObject({ sent: 4, delivered: 2, unique_human_opens: 3 });

  // Another client sees none of it.
  const other = await t.bearerWith('messages:read');
  const theirs = await request(t.app).get('/api/stats').set('Authorization', other).expect(200);
  expect(theirs.body.totals).toMatchObject({ sent: 0, rates: { open: null } });
  expect(theirs.body.days).toEqual([]);
});

it('counts a template\'s messages under GET /api/templates/:name/stats', async () => {
  await request(t.app).post('/api/templates').set('Authorization', auth).send({ name: 'digest', subject: 'Digest', html: HTML }).expect(201);
  const first = await sent({ subject: undefined, text: undefined, html: undefined, template: 'digest' });
  await sent({ subject: undefined, text: undefined, html: undefined, template: 'digest' });
  await open(first);
  const res = await request(t.app).get('/api/templates/digest/stats').set('Authorization', auth).expect(200);
  expect(res.body).toMatchObject({ template: 'digest', totals: { sent: 2, unique_human_opens: 1, delivered: 0, rates: { open: null } } });
  await request(t.app).get('/api/templates/nothing/stats').set('Authorization', auth).expect(404);
});

it('refuses a range that is backwards or longer than a year', async () => {
  await request(t.app).get('/api/stats?from=2026-02-01&to=2026-01-01').set('Authorization', auth).expect(422);
  await request(t.app).get('/api/stats?from=2024-01-01&to=2026-01-01').set('Authorization', auth).expect(422);
  await request(t.app).get('/api/stats?from=yesterday').set('Authorization', auth).expect(422);
});

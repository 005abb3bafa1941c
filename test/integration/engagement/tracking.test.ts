import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import { MailEngagement } from '../../../services/engagement/mail-engagement';
import { TrackedLinkStore } from '../../../services/engagement/tracked-link-store';
import { startWorkerRuntime, type WorkerRuntime } from '../../../workers/worker-runtime';
import { notification } from '../../support/fixtures';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../../support/smtp-sink';
import { startTestApp, type TestApp } from '../../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver';
import { waitUntil } from '../../support/wait';

// design/engagement.md, Opens and clicks: random-token redirects and a pixel, written once per
// message; machine opens flagged; no raw IP kept.

const PUBLIC_URL = 'https://herald.example.org';
const HUMAN_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const HTML = [
  '<html><body>',
  '<p><a href="https://shop.example.com/sale?a=1&amp;b=2">Sale</a></p>',
  "<p><a class='x' href='http://example.org/plain'>Plain</a></p>",
  '<p><a href="mailto:help@example.com">Write</a></p>',
  '<p><a href="javascript:alert(1)">Script</a> <a href="#top">Top</a> <a data-href="https://no.example">x</a></p>',
  '</body></html>',
].join('\n');

let sink: SmtpSink;
let receiver: WebhookReceiver;
let t: TestApp;
let worker: WorkerRuntime;
let auth: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  receiver = await startWebhookReceiver();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    PUBLIC_URL,
    RETRY_BASE_DELAY_MS: '20',
    CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  worker = await startWorkerRuntime(t.infra);
  auth = await t.bearerWith('notify:send', 'messages:read');
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await receiver.close();
  await sink.close();
});

async function send(body: Record<string, unknown>): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, ...body }).expect(202);
  return res.body.id as string;
}

async function mailOf(id: string): Promise<SinkMessage> {
  return waitUntil(() => sink.messages.find((m) => m.parsed.messageId?.includes(id)), { what: `the mail of ${id}` });
}

const hrefs = (html: string) => [...html.matchAll(/href=["']([^"']*)["']/g)].map((m) => m[1] ?? '');
const tokenOf = (url: string) => /\/t\/[co]\/([A-Za-z0-9_-]{22})/.exec(url)?.[1] ?? '';

async function eventsOf(id: string, type: string) {
  return t.database.db.selectFrom('message_events').selectAll().where('message_id', '=', id).where('type', '=', type as 'opened').orderBy('id').execute();
}

/** Moves the send back in time, so the next hit is not "too soon" to be a person's. */
async function sentLongAgo(id: string): Promise<void> {
  await sql`update messages set sent_at = now() - interval '1 hour' where id = ${id}`.execute(t.database.db);
}

async function sentTracked(): Promise<{ id: string; html: string }> {
  const id = await send({ html: HTML, track: { opens: true, clicks: true } });
  const mail = await mailOf(id);
  await waitUntil(async () => (await eventsOf(id, 'sent')).length === 1, { what: 'the sent event' });
  return { id, html: String(mail.parsed.html) };
}

describe('the mail at the SMTP sink', () => {
  it('has its http, https and mailto links rewritten to random tokens and the pixel before </body>', async () => {
    const { id, html } = await sentTracked();
    const links = hrefs(html);
    const tracked = links.filter((href) => href.startsWith(`${PUBLIC_URL}/t/c/`));
    expect(tracked).toHaveLength(3);
    expect(links).toEqual(expect.arrayContaining(['javascript:alert(1)', '#top', 'https://no.example']));
    expect(html).toMatch(new RegExp(`<img src="${PUBLIC_URL}/t/o/[A-Za-z0-9_-]{22}\\.gif"[^>]*/></body>`));
    for (const href of tracked) {
      expect(href).not.toContain(id);
      expect(href).not.toContain(id.replace(/-/g, ''));
    }
    const rows = await t.database.db.selectFrom('tracked_links').selectAll().where('message_id', '=', id).orderBy('kind').orderBy('position').execute();
    expect(rows.map((r) => [r.kind, r.position, r.url])).toEqual([
      ['click', 0, 'https://shop.example.com/sale?a=1&b=2'],
      ['click', 1, 'http://example.org/plain'],
      ['click', 2, 'mailto:help@example.com'],
      ['open', 0, null],
    ]);
    expect(tracked.map(tokenOf)).toEqual(rows.filter((r) => r.kind === 'click').map((r) => r.token));
  });

  it('is left alone when the message does not ask for tracking (TRACK_OPENS and TRACK_CLICKS are off)', async () => {
    const id = await send({ html: HTML });
    const html = String((await mailOf(id)).parsed.html);
    expect(hrefs(html)).toContain('https://shop.example.com/sale?a=1&amp;b=2');
    expect(html).not.toContain('/t/o/');
    expect(await t.database.db.selectFrom('tracked_links').select('token').where('message_id', '=', id).execute()).toEqual([]);
  });

  it('carries the same links on a retry as the first attempt made', async () => {
    sink.rejectNextRecipients(1, 451);
    const id = await send({ html: HTML, track: { clicks: true } });
    const html = String((await mailOf(id)).parsed.html);
    // The mail arrives before its attempt is recorded.
    const attempts = await waitUntil(async () => {
      const rows = await t.database.db.selectFrom('delivery_attempts').select(['attempt', 'at']).where('message_id', '=', id).orderBy('attempt').execute();
      return rows.length === 2 ? rows : undefined;
    }, { what: 'both attempts recorded' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    const rows = await t.database.db.selectFrom('tracked_links').select(['token', 'created_at']).where('message_id', '=', id).orderBy('position').execute();
    // Made by the first attempt, before its refusal was recorded; sent as they are by the second.
    for (const row of rows) expect(row.created_at.getTime()).toBeLessThanOrEqual(attempts[0]?.at.getTime() ?? 0);
    expect(hrefs(html).filter((h) => h.includes('/t/c/')).map(tokenOf)).toEqual(rows.map((r) => r.token));
  });

  it('is composed identically however many times it is composed', async () => {
    const id = await send({ html: HTML, track: { opens: true, clicks: true }, send_at: new Date(Date.now() + 3_600_000).toISOString() });
    const engagement = new MailEngagement(new TrackedLinkStore(t.database.db), t.config);
    const message = { id, kind: 'notification' as const, category: 'transactional' as const, track_opens: true, track_clicks: true };
    const mail = { messageId: `<${id}@x>`, from: 'a@example.com', to: ['b@example.com'], cc: [], bcc: [], subject: 's', html: HTML, tags: [], metadata: {} };
    const [first, second] = await Promise.all([engagement.apply(message, mail), engagement.apply(message, mail)]);
    const third = await engagement.apply(message, mail);
    expect(first.html).toContain('/t/c/');
    expect(second.html).toBe(first.html);
    expect(third.html).toBe(first.html);
  });
});

describe('GET /t/o/:token.gif', () => {
  it('answers the 43-byte GIF uncached and records a human open with a hashed IP, never the IP', async () => {
    const { id, html } = await sentTracked();
    await sentLongAgo(id);
    const pixel = /\/t\/o\/([A-Za-z0-9_-]{22})\.gif/.exec(html)?.[1] ?? '';
    const res = await request(t.app).get(`/t/o/${pixel}.gif`).set('User-Agent', HUMAN_AGENT).expect(200);
    expect(res.headers['content-type']).toBe('image/gif');
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.headers['cache-control']).toContain('no-cache');
    expect((res.body as Buffer).length).toBe(43);
    const [event] = await eventsOf(id, 'opened');
    expect(event?.data).toMatchObject({ machine: false, user_agent: HUMAN_AGENT, ip_hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const stored = JSON.stringify(await t.database.db.selectFrom('message_events').select('data').where('message_id', '=', id).execute());
    expect(stored).not.toContain('127.0.0.1');
    expect(stored).not.toMatch(/::1\b|::ffff/);
  });

  it('counts the bare Mozilla/5.0 agent (Apple Mail Privacy Protection) and an open within 2 s of the send as machines', async () => {
    const { id, html } = await sentTracked();
    const pixel = /\/t\/o\/([A-Za-z0-9_-]{22})\.gif/.exec(html)?.[1] ?? '';
    await request(t.app).get(`/t/o/${pixel}.gif`).set('User-Agent', HUMAN_AGENT).expect(200);
    await sentLongAgo(id);
    await request(t.app).get(`/t/o/${pixel}.gif`).set('User-Agent', 'Mozilla/5.0').expect(200);
    const events = await eventsOf(id, 'opened');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ machine: true, machine_reason: 'too_soon' }),
      expect.objectContaining({ machine: true, machine_reason: 'agent' }),
    ]);
  });

  it('answers the GIF for an unknown token too, recording nothing', async () => {
    const res = await request(t.app).get('/t/o/AAAAAAAAAAAAAAAAAAAAAA.gif').expect(200);
    expect(res.headers['content-type']).toBe('image/gif');
    await request(t.app).get('/t/o/not-a-token.gif').expect(200);
  });
});

describe('GET /t/c/:token', () => {
  it('redirects to the stored URL and records the click with its position', async () => {
    const { id, html } = await sentTracked();
    await sentLongAgo(id);
    const second = hrefs(html).filter((h) => h.includes('/t/c/'))[1] ?? '';
    const res = await request(t.app).get(`/t/c/${tokenOf(second)}`).set('User-Agent', HUMAN_AGENT).expect(302);
    expect(res.headers.location).toBe('http://example.org/plain');
    const first = hrefs(html).filter((h) => h.includes('/t/c/'))[0] ?? '';
    expect((await request(t.app).get(`/t/c/${tokenOf(first)}`).expect(302)).headers.location).toBe('https://shop.example.com/sale?a=1&b=2');
    const clicks = await eventsOf(id, 'clicked');
    expect(clicks.map((e) => e.data)).toEqual([
      expect.objectContaining({ position: 1, machine: false }),
      // supertest's agent is no browser: a scanner.
      expect.objectContaining({ position: 0, machine: true }),
    ]);
  });

  it('answers an unknown, altered or malformed token 404 without a Location', async () => {
    const { html } = await sentTracked();
    const token = tokenOf(hrefs(html).find((h) => h.includes('/t/c/')) ?? '');
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const path of [`/t/c/${altered}`, '/t/c/AAAAAAAAAAAAAAAAAAAAAA', '/t/c/x', `/t/c/${encodeURIComponent('https://evil.example')}`]) {
      const res = await request(t.app).get(path).expect(404);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    // The pixel's token is no link.
    const pixel = /\/t\/o\/([A-Za-z0-9_-]{22})\.gif/.exec(html)?.[1] ?? '';
    expect((await request(t.app).get(`/t/c/${pixel}`).expect(404)).headers.location).toBeUndefined();
  });

  it('appear in GET /api/notify/:id/events', async () => {
    const { id, html } = await sentTracked();
    await request(t.app).get(`/t/c/${tokenOf(hrefs(html).find((h) => h.includes('/t/c/')) ?? '')}`).expect(302);
    const res = await request(t.app).get(`/api/notify/${id}/events`).set('Authorization', auth).expect(200);
    expect((res.body.results as { type: string }[]).map((e) => e.type)).toEqual(['sent', 'clicked']);
  });
});

describe('webhooks', () => {
  it('tell the client\'s endpoints of opens and clicks, written by the statement that records them', async () => {
    const hooks = await t.bearerWith('notify:send', 'messages:read', 'webhooks:write');
    await request(t.app).post('/api/webhooks').set('Authorization', hooks).send({ url: `${receiver.url}/engagement`, event_types: ['message.opened', 'message.clicked'] }).expect(201);
    const res = await request(t.app).post('/api/notify').set('Authorization', hooks).send({ ...notification, html: HTML, track: { opens: true, clicks: true } }).expect(202);
    const id = res.body.id as string;
    const html = String((await mailOf(id)).parsed.html);
    await request(t.app).get(`/t/o/${/\/t\/o\/([A-Za-z0-9_-]{22})\.gif/.exec(html)?.[1] ?? ''}.gif`).expect(200);
    await request(t.app).get(`/t/c/${tokenOf(hrefs(html).find((h) => h.includes('/t/c/')) ?? '')}`).expect(302);
    const arrived = await waitUntil(() => (receiver.at('/engagement').length >= 2 ? receiver.at('/engagement') : undefined), { what: 'two webhooks' });
    const bodies = arrived.map((hook) => JSON.parse(hook.body) as { type: string; data: { id: string; machine: boolean } });
    expect(bodies.map((b) => b.type).sort()).toEqual(['message.clicked', 'message.opened']);
    expect(bodies.every((b) => b.data.id === id && typeof b.data.machine === 'boolean')).toBe(true);
  });
});

describe('accepting with tracking', () => {
  it('is refused 422 naming PUBLIC_URL when it is not set', async () => {
    const bare = await startTestApp();
    try {
      const key = await bare.bearerWith('notify:send');
      const res = await request(bare.app).post('/api/notify').set('Authorization', key).send({ ...notification, html: HTML, track: { opens: true } }).expect(422);
      expect(JSON.stringify(res.body)).toContain('PUBLIC_URL');
      const marketing = await request(bare.app).post('/api/notify').set('Authorization', key).send({ ...notification, category: 'marketing' }).expect(422);
      expect(JSON.stringify(marketing.body)).toContain('PUBLIC_URL');
      await request(bare.app).post('/api/notify').set('Authorization', key).send(notification).expect(202);
    } finally {
      await bare.close();
    }
  });

  it('shows the message\'s category and tracking', async () => {
    const id = await send({ html: HTML, track: { opens: true }, send_at: new Date(Date.now() + 3_600_000).toISOString() });
    const res = await request(t.app).get(`/api/notify/${id}`).set('Authorization', auth).expect(200);
    expect(res.body).toMatchObject({ category: 'transactional', track: { opens: true, clicks: false } });
  });
});

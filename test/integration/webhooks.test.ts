import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { CONTACT_CLIENT_ID } from '../../services/contact-form/service';
import { DeliveryEventReader } from '../../services/tail/delivery-event-reader';
import { formatEvent } from '../../services/tail/tail-command';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { notification } from '../support/fixtures';
import { freePort } from '../support/herald-process';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';
import { type ReceivedWebhook, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// design/webhooks.md: a client's endpoints hear of its own messages' events, signed per
// Standard Webhooks, retried on a schedule, never following redirects.

const CREDENTIALS_KEYS = `k1:${randomBytes(32).toString('base64')}`;

let sink: SmtpSink;
let receiver: WebhookReceiver;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  receiver = await startWebhookReceiver();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    CREDENTIALS_KEYS,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2',
  });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await receiver.close();
  await sink.close();
});

interface Client {
  readonly auth: string;
}

async function client(): Promise<Client> {
  return { auth: await t.bearerWith('notify:send', 'messages:read', 'webhooks:write') };
}

async function endpoint(c: Client, path: string, body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await request(t.app).post('/api/webhooks').set('Authorization', c.auth).send({ url: `${receiver.url}${path}`, ...body }).expect(201);
  return res.body as { id: string; secret: string };
}

async function send(c: Client, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', c.auth).send({ ...notification, ...overrides }).expect(202);
  return res.body.id as string;
}

function verified(secret: string, hook: ReceivedWebhook): { type: string; timestamp: string; data: Record<string, unknown> } {
  const headers = {
    'webhook-id': String(hook.headers['webhook-id']),
    'webhook-timestamp': String(hook.headers['webhook-timestamp']),
    'webhook-signature': String(hook.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(hook.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

const arrived = (path: string, count = 1, timeoutMs = 10000) =>
  waitUntil(() => (receiver.at(path).length >= count ? receiver.at(path) : undefined), { what: `${count} webhook(s) at ${path}`, timeoutMs });

const log = async (c: Client, id: string) =>
  (await request(t.app).get(`/api/webhooks/${id}/deliveries`).set('Authorization', c.auth).expect(200)).body.results as Record<string, unknown>[];

describe('webhook endpoints', () => {
  it('create shows a whsec_ secret once, stores it encrypted, and the reads never show it', async () => {
    const c = await client();
    const created = await endpoint(c, '/crud', { description: 'ops', event_types: ['message.sent'] });
    expect(created).toMatchObject({ url: `${receiver.url}/crud`, description: 'ops', event_types: ['message.sent'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await request(t.app).get(`/api/webhooks/${created.id}`).set('Authorization', c.auth).expect(200);
    expect(JSON.stringify(got.body)).not.toContain(created.secret.slice(6));
    const listed = await request(t.app).get('/api/webhooks').set('Authorization', c.auth).expect(200);
    expect(listed.body.results).toEqual([got.body]);
    const row = await t.database.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    expect(row.secret_key_id).toBe('k1');

    const other = await client();
    await request(t.app).get(`/api/webhooks/${created.id}`).set('Authorization', other.auth).expect(404);
    expect((await request(t.app).get('/api/webhooks').set('Authorization', other.auth).expect(200)).body.results).toEqual([]);
    await request(t.app).patch(`/api/webhooks/${created.id}`).set('Authorization', c.auth).send({ description: 'billing' }).expect(200);
    await request(t.app).delete(`/api/webhooks/${created.id}`).set('Authorization', other.auth).expect(404);
    await request(t.app).delete(`/api/webhooks/${created.id}`).set('Authorization', c.auth).expect(204);
    await request(t.app).get(`/api/webhooks/${created.id}`).set('Authorization', c.auth).expect(404);
  });

  it('refuses bad input with problem+json, and callers without webhooks:write', async () => {
    const c = await client();
    const bad = await request(t.app).post('/api/webhooks').set('Authorization', c.auth).send({ url: 'ftp://example.com/x' }).expect(422);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    await request(t.app).post('/api/webhooks').set('Authorization', c.auth).send({ url: `${receiver.url}/x`, event_types: ['message.nope'] }).expect(422);
    const sender = await t.bearerWith('notify:send');
    await request(t.app).get('/api/webhooks').set('Authorization', sender).expect(403);
    await request(t.app).get('/api/webhooks/not-a-uuid').set('Authorization', c.auth).expect(404);
  });
});

describe('webhook deliveries', () => {
  it('message.sent: signed per Standard Webhooks, no message body, the owner only sees its own', async () => {
    const c = await client();
    const stranger = await client();
    const hook = await endpoint(c, '/sent');
    await endpoint(stranger, '/stranger');
    const id = await send(c, { tags: ['invoice'], metadata: { order: 42 } });
    const [got] = await arrived('/sent');
    const event = verified(hook.secret, got as ReceivedWebhook);
    expect(event).toEqual({
      type: 'message.sent',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: expect.objectContaining({ id, kind: 'notification', status: 'sent', provider: 'smtp', attempt: 1, tags: ['invoice'], metadata: { order: 42 } }),
    });
    expect(got?.body).not.toContain(notification.text);
    expect(got?.body).not.toContain(notification.subject);
    expect(Buffer.byteLength(got?.body ?? '')).toBeLessThan(20 * 1024);
    expect(got?.headers['webhook-id']).toMatch(/^evt_\d+$/);
    expect(Math.abs(Number(got?.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    // A tampered body does not verify.
    expect(() => verified(hook.secret, { ...(got as ReceivedWebhook), body: (got?.body ?? '').replace('sent', 'sant') })).toThrow();
    expect(receiver.at('/stranger')).toEqual([]);
  });

  it('message.failed, and a filter keeps out the types not asked for', async () => {
    const c = await client();
    const all = await endpoint(c, '/failed-all');
    await endpoint(c, '/failed-only', { event_types: ['message.failed'] });
    const sentId = await send(c, { to: 'fine@example.com' });
    await arrived('/failed-all');
    sink.rejectNextRecipients(1, 550);
    const failedId = await send(c, { to: 'gone@example.com' });
    const [failed] = await arrived('/failed-only');
    const event = verified(all.secret, (await arrived('/failed-all', 2)).find((r) => r.body.includes('message.failed')) as ReceivedWebhook);
    expect(event).toMatchObject({ type: 'message.failed', data: { id: failedId, status: 'failed', permanent: true, provider: 'smtp', attempt: 1 } });
    expect(JSON.parse(failed?.body ?? '{}')).toMatchObject({ type: 'message.failed' });
    expect(receiver.at('/failed-only')).toHaveLength(1);
    expect(receiver.at('/failed-only')[0]?.body).not.toContain(sentId);
  });

  it('herald tail shows webhook tries next to the sends, and /metrics counts them', async () => {
    const c = await client();
    await endpoint(c, '/tail');
    const reader = new DeliveryEventReader(t.redis, t.config.queuePrefix);
    const cursor = await reader.cursorAt();
    const id = await send(c);
    await arrived('/tail');
    const events = await waitUntil(async () => {
      const found = (await reader.read(cursor, { count: 1000 })).events.map((e) => e.event).filter((e) => e.messageId === id);
      return found.some((e) => e.provider === 'webhook') ? found : undefined;
    });
    const hook = events.find((e) => e.provider === 'webhook');
    expect(hook).toMatchObject({ status: 'sent', webhook: { type: 'message.sent', eventId: expect.stringMatching(/^evt_/), statusCode: 200 } });
    expect(formatEvent(hook as NonNullable<typeof hook>)).toContain('message.sent');
    const metrics = await t.infra.metrics.exposition();
    expect(metrics.body).toMatch(/herald_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(metrics.body).toContain('herald_webhook_event_to_delivery_seconds_bucket');
  });

  it('message.cancelled: written by the cancelling statement; another client cannot cancel it', async () => {
    const c = await client();
    const other = await client();
    const hook = await endpoint(c, '/cancelled');
    const id = await send(c, { send_at: new Date(Date.now() + 3_600_000).toISOString() });
    await request(t.app).post(`/api/notify/${id}/cancel`).set('Authorization', other.auth).expect(404);
    await request(t.app).post(`/api/notify/${id}/cancel`).set('Authorization', c.auth).expect(200);
    const [got] = await arrived('/cancelled');
    expect(verified(hook.secret, got as ReceivedWebhook)).toMatchObject({ type: 'message.cancelled', data: { id, status: 'cancelled', kind: 'notification' } });
  });

  it('message.converted: a conversion the client reports is delivered like any other event; another client cannot report one', async () => {
    const c = await client();
    const other = await client();
    const hook = await endpoint(c, '/converted');
    const id = await send(c, { send_at: new Date(Date.now() + 3_600_000).toISOString() });
    await request(t.app).post('/api/events/track').set('Authorization', other.auth).send({ message_id: id, type: 'converted' }).expect(404);
    await request(t.app).post('/api/events/track').set('Authorization', c.auth).send({ message_id: id, type: 'converted', data: { value: 42 } }).expect(201);
    const [got] = await arrived('/converted');
    expect(verified(hook.secret, got as ReceivedWebhook)).toMatchObject({ type: 'message.converted', data: { id, status: 'converted', value: 42 } });
  });

  it('a delivery whose job never reached Redis is added again by the sweeper', async () => {
    const c = await client();
    await endpoint(c, '/lost');
    const dispatcher = t.services.webhookDispatcher;
    const dispatch = jest.spyOn(dispatcher, 'dispatch').mockImplementation(() => undefined);
    let id: string;
    try {
      id = await send(c, { send_at: new Date(Date.now() + 3_600_000).toISOString() });
      await request(t.app).post(`/api/notify/${id}/cancel`).set('Authorization', c.auth).expect(200);
    } finally {
      dispatch.mockRestore();
    }
    const [row] = (await sql<{ id: string }>`select id from webhook_deliveries where payload @> ${JSON.stringify({ data: { id } })}::jsonb`.execute(t.database.db)).rows;
    expect(row).toBeDefined();
    expect(await worker.webhookSweeper.sweep()).toBe(0);
    // Once it is overdue by the grace period (SWEEPER_GRACE_MS), the sweeper adds its job.
    await sql`update webhook_deliveries set next_attempt_at = now() - interval '1 minute' where id = ${row?.id}`.execute(t.database.db);
    expect(await worker.webhookSweeper.sweep()).toBe(1);
    const [got] = await arrived('/lost');
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({ type: 'message.cancelled', data: { id } });
  });

  it('message.suppressed: written by the accepting statement itself (the contact form honeypot)', async () => {
    const contactClient = { clientId: CONTACT_CLIENT_ID, scopes: [], via: 'public' } as const;
    const hook = await t.services.webhooks.create(contactClient, { url: `${receiver.url}/suppressed`, event_types: ['message.suppressed'] });
    try {
      const res = await request(t.app).post('/api/contact').send({ name: 'Bot', email: 'bot@example.com', message: 'spam', website: 'http://spam.example' }).expect(202);
      const [got] = await arrived('/suppressed');
      expect(verified(hook.secret, got as ReceivedWebhook)).toMatchObject({
        type: 'message.suppressed',
        data: { id: res.body.id, kind: 'contact', status: 'suppressed', reason: 'honeypot' },
      });
      expect(got?.body).not.toContain('spam');
    } finally {
      await t.services.webhooks.delete(contactClient, hook.id);
    }
  });

  it('a client without endpoints gets no delivery rows', async () => {
    const c = await client();
    const id = await send(c);
    await waitUntil(async () => (await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirst())?.status === 'sent');
    const rows = await sql`select id from webhook_deliveries where payload @> ${JSON.stringify({ data: { id } })}::jsonb`.execute(t.database.db);
    expect(rows.rows).toEqual([]);
  });

  it('500, 500, 200: delivered on the third try with the same webhook-id and three log rows', async () => {
    const c = await client();
    const hook = await endpoint(c, '/flaky');
    receiver.answerNext('/flaky', { status: 500 }, { status: 500 });
    await send(c);
    const tries = await arrived('/flaky', 3);
    expect(new Set(tries.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const hookTry of tries) verified(hook.secret, hookTry);
    const [delivery] = await waitUntil(async () => {
      const rows = await log(c, hook.id);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    expect(delivery).toMatchObject({ type: 'message.sent', attempt: 3, status: 'delivered', response_code: 200 });
    expect((delivery?.attempts as { response_code: number }[]).map((a) => a.response_code)).toEqual([500, 500, 200]);
  });

  it('410 disables the endpoint with a reason', async () => {
    const c = await client();
    const hook = await endpoint(c, '/gone');
    receiver.answerNext('/gone', { status: 410 });
    await send(c);
    await arrived('/gone');
    const got = await waitUntil(async () => {
      const res = await request(t.app).get(`/api/webhooks/${hook.id}`).set('Authorization', c.auth).expect(200);
      return res.body.enabled === false ? res.body : undefined;
    });
    expect(got.disabled_reason).toMatch(/410/);
    await send(c);
    await waitUntil(async () => (await log(c, hook.id)).length === 1 || undefined);
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('an endpoint failing for WEBHOOK_DISABLE_AFTER_H is disabled with a reason at its next failure; a success ends the streak', async () => {
    const c = await client();
    const hook = await endpoint(c, '/streak');
    const longAgo = new Date(Date.now() - 121 * 3600 * 1000);
    await t.database.db.updateTable('webhook_endpoints').set({ failing_since: longAgo }).where('id', '=', hook.id).execute();
    receiver.answerNext('/streak', { status: 500 });
    await send(c);
    const got = await waitUntil(async () => {
      const res = await request(t.app).get(`/api/webhooks/${hook.id}`).set('Authorization', c.auth).expect(200);
      return res.body.enabled === false ? res.body : undefined;
    });
    expect(got.disabled_reason).toMatch(/^failing since \d{4}-/);
    // Turned back on by its owner, it starts afresh; a success clears the streak.
    await request(t.app).patch(`/api/webhooks/${hook.id}`).set('Authorization', c.auth).send({ enabled: true }).expect(200);
    const fresh = await t.database.db.selectFrom('webhook_endpoints').select(['failing_since', 'disabled_reason']).where('id', '=', hook.id).executeTakeFirstOrThrow();
    expect(fresh).toEqual({ failing_since: null, disabled_reason: null });
  });

  it('429 with Retry-After waits as long as it asks', async () => {
    const c = await client();
    await endpoint(c, '/busy');
    receiver.answerNext('/busy', { status: 429, headers: { 'Retry-After': '1' } });
    await send(c);
    const [first, second] = await arrived('/busy', 2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('a 302 is not followed: the try fails and is retried at the endpoint', async () => {
    const c = await client();
    const hook = await endpoint(c, '/moved');
    receiver.answerNext('/moved', { status: 302, headers: { Location: `${receiver.url}/elsewhere` } });
    await send(c);
    await arrived('/moved', 2);
    expect(receiver.at('/elsewhere')).toEqual([]);
    const [delivery] = await waitUntil(async () => {
      const rows = await log(c, hook.id);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    expect((delivery?.attempts as { response_code: number }[]).map((a) => a.response_code)).toEqual([302, 200]);
  });

  it('a hanging receiver times out while another endpoint gets its events promptly', async () => {
    const slow = await client();
    const fast = await client();
    const hook = await endpoint(slow, '/hang');
    await endpoint(fast, '/prompt');
    receiver.answerNext('/hang', 'hang', 'hang', 'hang', 'hang');
    for (let i = 0; i < 4; i += 1) await send(slow);
    await arrived('/hang', 2);
    const started = Date.now();
    await send(fast);
    await arrived('/prompt', 1, 5000);
    expect(Date.now() - started).toBeLessThan(900);
    // Two in flight at most (WEBHOOK_CONCURRENCY_PER_ENDPOINT=2) while they hang.
    expect(receiver.at('/hang').length).toBeLessThanOrEqual(2);
    const rows = await waitUntil(async () => {
      const found = await log(slow, hook.id);
      return found.filter((row) => (row.attempts as unknown[]).length > 0).length >= 2 ? found : undefined;
    });
    expect(rows.flatMap((row) => row.attempts as { error: string | null }[]).some((a) => a.error === 'timeout')).toBe(true);
  });

  it('rotation: the new secret is shown once, and both secrets verify for 24 h', async () => {
    const c = await client();
    const hook = await endpoint(c, '/rotate');
    const rotated = await request(t.app).patch(`/api/webhooks/${hook.id}`).set('Authorization', c.auth).send({ rotate_secret: true }).expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    await send(c);
    const [got] = await arrived('/rotate');
    expect(String(got?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(hook.secret, got as ReceivedWebhook).type).toBe('message.sent');
    expect(verified(rotated.body.secret as string, got as ReceivedWebhook).type).toBe('message.sent');
    const again = await request(t.app).get(`/api/webhooks/${hook.id}`).set('Authorization', c.auth).expect(200);
    expect(again.body.secret).toBeUndefined();
  });

  it('test ping answers the receiver status; replay sends a delivery again with the same webhook-id', async () => {
    const c = await client();
    const hook = await endpoint(c, '/ping');
    const ping = await request(t.app).post(`/api/webhooks/${hook.id}/test`).set('Authorization', c.auth).expect(200);
    expect(ping.body).toMatchObject({ ok: true, status_code: 200, duration_ms: expect.any(Number) });
    const [got] = receiver.at('/ping');
    expect(verified(hook.secret, got as ReceivedWebhook)).toMatchObject({ type: 'webhook.test', data: { endpoint_id: hook.id } });
    await send(c);
    await arrived('/ping', 2);
    const sent = await waitUntil(async () => (await log(c, hook.id)).find((row) => row.type === 'message.sent' && row.status === 'delivered'));
    await request(t.app).post(`/api/webhooks/${hook.id}/deliveries/${String(sent.id)}/replay`).set('Authorization', c.auth).expect(202);
    const all = await arrived('/ping', 3);
    expect(all[2]?.headers['webhook-id']).toBe(all[1]?.headers['webhook-id']);
    await request(t.app).post(`/api/webhooks/${hook.id}/deliveries/${hook.id}/replay`).set('Authorization', c.auth).expect(404);
  });
});

describe('the README receiver example', () => {
  it('docs/webhook-receiver.mjs verifies a real delivery with the standardwebhooks package', async () => {
    const c = await client();
    const port = await freePort();
    const hook = (await request(t.app).post('/api/webhooks').set('Authorization', c.auth).send({ url: `http://127.0.0.1:${port}/hooks` }).expect(201)).body;
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'docs', 'webhook-receiver.mjs')], {
      env: { ...process.env, WEBHOOK_SECRET: hook.secret as string, PORT: String(port) },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntil(() => output.includes('listening'), { what: 'the example receiver to listen', detail: () => output });
      const id = await send(c);
      await waitUntil(() => output.includes(`verified message.sent evt_`) && output.includes(id), { what: 'a verified delivery', detail: () => output });
      expect(output).not.toContain('refused');
    } finally {
      child.kill();
    }
  });
});

describe('the SSRF guard', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({ CREDENTIALS_KEYS });
  });
  afterAll(async () => strict.close());

  it.each([
    ['plain http', 'http://example.com/hook'],
    ['loopback', 'https://127.0.0.1/hook'],
    ['a private network', 'https://10.1.2.3/hook'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback', 'https://[::1]/hook'],
    ['IPv4-mapped private', 'https://[::ffff:192.168.1.1]/hook'],
    ['a name for loopback', 'https://localhost/hook'],
  ])('refuses %s without the allow flags', async (_what, url) => {
    const auth = await strict.bearerWith('webhooks:write');
    const res = await request(strict.app).post('/api/webhooks').set('Authorization', auth).send({ url }).expect(422);
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
  });

  it('without CREDENTIALS_KEYS creating an endpoint is 503 naming it', async () => {
    const bare = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_ALLOW_HTTP: 'true' });
    try {
      const auth = await bare.bearerWith('webhooks:write');
      const res = await request(bare.app).post('/api/webhooks').set('Authorization', auth).send({ url: `${receiver.url}/x` }).expect(503);
      expect(res.body.detail).toContain('CREDENTIALS_KEYS');
    } finally {
      await bare.close();
    }
  });
});

import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startFakeMailgun, type FakeMailgun } from '../support/fake-mailgun';
import { startFakeSendgrid, type FakeSendgrid } from '../support/fake-sendgrid';
import { notification } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// design/engagement.md "Provider events in": SendGrid's signed Event Webhook and Mailgun's
// signed webhooks move messages sent through them to delivered or bounced, suppress the address
// that hard-bounced or complained, and record every event once.

const MAILGUN_SIGNING_KEY = `mg-signing-${randomBytes(8).toString('hex')}`;
const MAILGUN_DOMAIN = 'mg.example.test';

let sendgrid: FakeSendgrid;
let receiver: WebhookReceiver;
let mailgun: FakeMailgun;
let t: TestApp;
let worker: WorkerRuntime;
let privateKey: KeyObject;
let auth: string;

beforeAll(async () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  privateKey = pair.privateKey;
  // As SendGrid shows its verification key: the base64 of the DER SubjectPublicKeyInfo.
  const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  sendgrid = await startFakeSendgrid();
  mailgun = await startFakeMailgun();
  receiver = await startWebhookReceiver();
  t = await startTestApp({
    CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    MAIL_PROVIDERS: 'sendgrid,mailgun',
    SENDGRID_API_KEY: 'SG.test',
    SENDGRID_BASE_URL: sendgrid.url,
    MAILGUN_API_KEY: 'key-test',
    MAILGUN_DOMAIN,
    MAILGUN_BASE_URL: mailgun.url,
    MAIL_DOMAIN: 'herald.test',
    SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey,
    MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_SIGNING_KEY,
    BOUNCE_SUPPRESSION_DAYS: '30',
  });
  worker = await startWorkerRuntime(t.infra);
  auth = await t.bearerWith('notify:send', 'messages:read', 'webhooks:write');
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sendgrid.close();
  await mailgun.close();
  await receiver.close();
});

interface Sent {
  readonly id: string;
  readonly providerMessageId: string;
}

/** Sends one notification through `provider` and waits until it is sent. */
async function sendThrough(provider: 'sendgrid' | 'mailgun', to: string | string[]): Promise<Sent> {
  const res = await request(t.app)
    .post('/api/notify')
    .set('Authorization', auth)
    .send({ ...notification, to, provider, use_fallback: false, metadata: { order: 7 } })
    .expect(202);
  const id = res.body.id as string;
  const row = await waitUntil(
    async () => {
      const found = await t.infra.db.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', id).executeTakeFirst();
      return found?.status === 'sent' ? found : undefined;
    },
    { what: `message ${id} sent`, timeoutMs: 15000 },
  );
  return { id, providerMessageId: row.provider_message_id ?? '' };
}

async function statusOf(id: string): Promise<string> {
  const row = await t.infra.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  return row.status;
}

async function eventsOf(id: string): Promise<{ type: string; data: Record<string, unknown>; provider_event_id: string | null }[]> {
  return t.infra.db.selectFrom('message_events').select(['type', 'data', 'provider_event_id']).where('message_id', '=', id).orderBy('id').execute();
}

async function suppressionsFor(...addresses: string[]): Promise<{ address: string; reason: string; client_id: string | null; message_id: string | null; expires_at: Date | null }[]> {
  return t.infra.db
    .selectFrom('suppressions')
    .select(['address', 'reason', 'client_id', 'message_id', 'expires_at'])
    .where('address', 'in', addresses)
    .orderBy('address')
    .execute();
}

function unique(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}@example.com`;
}

/** A SendGrid event as the Event Webhook posts it, with Herald's custom arg. */
function sgEvent(sent: Sent, event: string, email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email,
    timestamp: Math.floor(Date.now() / 1000),
    'smtp-id': `<${sent.id}@herald.test>`,
    event,
    sg_event_id: randomBytes(16).toString('base64url'),
    sg_message_id: `${sent.providerMessageId}.filterdrecv-5bd8d5c7b7-x4j9n-1-64F1A2B3-7.0`,
    herald_message_id: sent.id,
    order: '7',
    ...extra,
  };
}

/** Posts `events` to /webhooks/sendgrid signed as SendGrid signs: ECDSA P-256 over timestamp + raw body. */
function postSendgrid(events: unknown, options: { key?: KeyObject; tamper?: boolean } = {}): request.Test {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), options.key ?? privateKey).toString('base64');
  return request(t.app)
    .post('/webhooks/sendgrid')
    .set('Content-Type', 'application/json')
    .set('X-Twilio-Email-Event-Webhook-Signature', signature)
    .set('X-Twilio-Email-Event-Webhook-Timestamp', timestamp)
    .send(options.tamper === true ? body.replace('delivered', 'bounce') : body);
}

/** Mailgun's JSON webhook body, signed with HMAC-SHA256 of timestamp + token. */
function mailgunBody(eventData: Record<string, unknown>, options: { timestamp?: number; token?: string; key?: string } = {}): Record<string, unknown> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const token = options.token ?? randomBytes(25).toString('hex');
  const signature = createHmac('sha256', options.key ?? MAILGUN_SIGNING_KEY).update(timestamp + token).digest('hex');
  return { signature: { timestamp, token, signature }, 'event-data': eventData };
}

function mgEvent(sent: Sent, event: string, recipient: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event,
    id: randomBytes(16).toString('base64url'),
    timestamp: Date.now() / 1000,
    recipient,
    message: { headers: { 'message-id': sent.providerMessageId.replace(/^<|>$/g, '') } },
    'user-variables': { herald_message_id: sent.id, order: '7' },
    ...extra,
  };
}

describe('outgoing sends carry Herald’s id for the events to find', () => {
  it('sends SendGrid custom_args and Mailgun v: variables beside the metadata, and keeps each provider’s message id', async () => {
    const viaSendgrid = await sendThrough('sendgrid', unique('args'));
    const sgRequest = sendgrid.requests.find((r) => JSON.stringify(r.body).includes(viaSendgrid.id));
    expect(sgRequest?.body.custom_args).toEqual({ order: '7', herald_message_id: viaSendgrid.id });
    expect(viaSendgrid.providerMessageId).toMatch(/^sg-/);

    const viaMailgun = await sendThrough('mailgun', unique('vars'));
    const mgRequest = mailgun.requests.find((r) => r.fields['v:herald_message_id']?.[0] === viaMailgun.id);
    expect(mgRequest?.fields['v:order']).toEqual(['7']);
    expect(viaMailgun.providerMessageId).toMatch(/^<.+@mg\.example\.test>$/);
  });
});

describe('POST /webhooks/sendgrid', () => {
  it('moves a message to delivered, then bounced on a hard bounce, suppressing only that address', async () => {
    const bouncing = unique('gone');
    const other = unique('fine');
    const sent = await sendThrough('sendgrid', [bouncing, other]);

    const delivered = await postSendgrid([sgEvent(sent, 'delivered', other, { response: '250 OK' })]).expect(200);
    expect(delivered.body).toEqual({ received: 1, recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect(await statusOf(sent.id)).toBe('delivered');

    await postSendgrid([sgEvent(sent, 'bounce', bouncing.toUpperCase(), { type: 'bounce', status: '5.1.1', reason: '550 5.1.1 unknown user' })]).expect(200);
    expect(await statusOf(sent.id)).toBe('bounced');
    const suppressed = await suppressionsFor(bouncing, other);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]).toMatchObject({ address: bouncing, reason: 'hard_bounce', message_id: sent.id });
    expect(suppressed[0]?.client_id).not.toBeNull();
    const days = ((suppressed[0]?.expires_at?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    const events = await eventsOf(sent.id);
    expect(events.map((e) => e.type)).toEqual(['sent', 'delivered', 'bounced']);
    expect(events[1]?.data).toMatchObject({ source: 'sendgrid', provider_event: 'delivered', recipient: other, response: '250 OK' });
    expect(events[2]?.data).toMatchObject({ source: 'sendgrid', bounce: 'hard', status: '5.1.1', recipient: bouncing });
  });

  it('never moves a message backwards: delivered after bounced is recorded, the status stays', async () => {
    const address = unique('late');
    const sent = await sendThrough('sendgrid', address);
    await postSendgrid([sgEvent(sent, 'bounce', address, { type: 'bounce' }), sgEvent(sent, 'delivered', address)]).expect(200);
    expect(await statusOf(sent.id)).toBe('bounced');
    await postSendgrid([sgEvent(sent, 'delivered', address)]).expect(200);
    expect(await statusOf(sent.id)).toBe('bounced');
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent', 'bounced', 'delivered', 'delivered']);
  });

  it('keeps blocked (soft) bounces, opens and clicks as events only', async () => {
    const address = unique('soft');
    const sent = await sendThrough('sendgrid', address);
    await postSendgrid([
      sgEvent(sent, 'bounce', address, { type: 'blocked', reason: 'mailbox full' }),
      sgEvent(sent, 'open', address, { useragent: 'Mozilla/5.0', sg_machine_open: true }),
      sgEvent(sent, 'click', address, { url: 'https://example.com/a', useragent: 'Mozilla/5.0' }),
      sgEvent(sent, 'processed', address),
    ]).expect(200, { received: 4, recorded: 3, duplicates: 0, unmatched: 0, ignored: 1 });
    expect(await statusOf(sent.id)).toBe('sent');
    expect(await suppressionsFor(address)).toEqual([]);
    const events = await eventsOf(sent.id);
    expect(events.slice(1).map((e) => [e.type, e.data.source])).toEqual([
      ['bounced', 'sendgrid'],
      ['opened', 'sendgrid'],
      ['clicked', 'sendgrid'],
    ]);
    expect(events[1]?.data).toMatchObject({ bounce: 'soft' });
    expect(events[2]?.data).toMatchObject({ machine: true, user_agent: 'Mozilla/5.0' });
    expect(events[3]?.data).toMatchObject({ url: 'https://example.com/a', machine: false });
  });

  it('records the same event once, however often it is posted', async () => {
    const address = unique('twice');
    const sent = await sendThrough('sendgrid', address);
    const event = sgEvent(sent, 'delivered', address);
    await postSendgrid([event, event]).expect(200, { received: 2, recorded: 1, duplicates: 1, unmatched: 0, ignored: 0 });
    await postSendgrid([event]).expect(200, { received: 1, recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent', 'delivered']);
  });

  it('matches by SendGrid’s message id when the event has no Herald id, and records the rest of a batch with unknown ids', async () => {
    const address = unique('prefix');
    const sent = await sendThrough('sendgrid', address);
    const byProviderId = { ...sgEvent(sent, 'delivered', address), herald_message_id: undefined, 'smtp-id': '<other@elsewhere.test>' };
    const unknown = { ...sgEvent(sent, 'delivered', address), herald_message_id: randomUUID(), sg_message_id: 'nope.filter1' };
    const foreign = { ...sgEvent(sent, 'delivered', address), herald_message_id: undefined, 'smtp-id': undefined, sg_message_id: 'foreign.filter1' };
    await postSendgrid([unknown, byProviderId, foreign, { not: 'an event' }]).expect(200, { received: 4, recorded: 1, duplicates: 0, unmatched: 2, ignored: 1 });
    expect(await statusOf(sent.id)).toBe('delivered');
  });

  it('suppresses a complaint’s address with no expiry, leaving the status', async () => {
    const address = unique('spam');
    const sent = await sendThrough('sendgrid', address);
    await postSendgrid([sgEvent(sent, 'delivered', address), sgEvent(sent, 'spamreport', address)]).expect(200);
    expect(await statusOf(sent.id)).toBe('delivered');
    expect(await suppressionsFor(address)).toEqual([expect.objectContaining({ reason: 'complaint', expires_at: null, message_id: sent.id })]);
  });

  it('refuses a bad or missing signature with 401 and changes nothing', async () => {
    const address = unique('forged');
    const sent = await sendThrough('sendgrid', address);
    const events = [sgEvent(sent, 'delivered', address)];
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

    const wrongKey = await postSendgrid(events, { key: otherKey }).expect(401);
    expect(wrongKey.headers['content-type']).toMatch(/application\/problem\+json/);
    await postSendgrid(events, { tamper: true }).expect(401);
    await request(t.app).post('/webhooks/sendgrid').set('Content-Type', 'application/json').send(JSON.stringify(events)).expect(401);
    await request(t.app)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set('X-Twilio-Email-Event-Webhook-Signature', 'not-base64-der')
      .set('X-Twilio-Email-Event-Webhook-Timestamp', '1')
      .send(JSON.stringify(events))
      .expect(401);

    expect(await statusOf(sent.id)).toBe('sent');
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent']);
  });

  it('answers 422 for a signed body that is not a JSON array, 400 for one that is not JSON', async () => {
    await postSendgrid({ event: 'delivered' }).expect(422);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = '[{"event":';
    await request(t.app)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set('X-Twilio-Email-Event-Webhook-Signature', sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64'))
      .set('X-Twilio-Email-Event-Webhook-Timestamp', timestamp)
      .send(body)
      .expect(400);
  });
});

describe('webhook deliveries', () => {
  it('tells the client’s endpoints of provider events, written by the same statement', async () => {
    await request(t.app)
      .post('/api/webhooks')
      .set('Authorization', auth)
      .send({ url: `${receiver.url}/hooks`, event_types: ['message.delivered', 'message.bounced'] })
      .expect(201);
    const address = unique('hooked');
    const sent = await sendThrough('sendgrid', address);
    await postSendgrid([sgEvent(sent, 'delivered', address), sgEvent(sent, 'open', address)]).expect(200);
    const hooks = await waitUntil(() => (receiver.at('/hooks').length >= 1 ? receiver.at('/hooks') : undefined), { what: 'the message.delivered webhook', timeoutMs: 10000 });
    const payload = JSON.parse(hooks[0]?.body ?? '{}') as { type: string; data: Record<string, unknown> };
    expect(payload).toMatchObject({ type: 'message.delivered', data: { id: sent.id, source: 'sendgrid', status: 'delivered' } });
    const rows = await t.infra.db.selectFrom('webhook_deliveries').select('type').execute();
    expect(rows.map((row) => row.type)).toEqual(['message.delivered']);
  });
});

describe('POST /webhooks/mailgun', () => {
  it('moves a message to delivered, then bounced on a permanent failure, suppressing only that address', async () => {
    const bouncing = unique('mg-gone');
    const other = unique('mg-fine');
    const sent = await sendThrough('mailgun', [bouncing, other]);

    await request(t.app).post('/webhooks/mailgun').send(mailgunBody(mgEvent(sent, 'delivered', other))).expect(200, { received: 1, recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect(await statusOf(sent.id)).toBe('delivered');

    const failed = mgEvent(sent, 'failed', bouncing, { severity: 'permanent', reason: 'bounce', 'delivery-status': { code: 550, description: 'No such user' } });
    await request(t.app).post('/webhooks/mailgun').send(mailgunBody(failed)).expect(200);
    expect(await statusOf(sent.id)).toBe('bounced');
    expect(await suppressionsFor(bouncing, other)).toEqual([expect.objectContaining({ address: bouncing, reason: 'hard_bounce', message_id: sent.id })]);
    const events = await eventsOf(sent.id);
    expect(events.map((e) => e.type)).toEqual(['sent', 'delivered', 'bounced']);
    expect(events[2]?.data).toMatchObject({ source: 'mailgun', bounce: 'hard', code: '550', reason: 'No such user' });
  });

  it('keeps a temporary failure as an event only', async () => {
    const address = unique('mg-soft');
    const sent = await sendThrough('mailgun', address);
    await request(t.app)
      .post('/webhooks/mailgun')
      .send(mailgunBody(mgEvent(sent, 'failed', address, { severity: 'temporary', reason: 'generic' })))
      .expect(200);
    expect(await statusOf(sent.id)).toBe('sent');
    expect(await suppressionsFor(address)).toEqual([]);
  });

  it('matches by Mailgun’s message id without the brackets when the event has no Herald id', async () => {
    const address = unique('mg-id');
    const sent = await sendThrough('mailgun', address);
    await request(t.app)
      .post('/webhooks/mailgun')
      .send(mailgunBody({ ...mgEvent(sent, 'opened', address, { 'client-info': { 'user-agent': 'Mozilla/5.0', bot: '' } }), 'user-variables': {} }))
      .expect(200, { received: 1, recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect((await eventsOf(sent.id)).map((e) => [e.type, e.data.source, e.data.machine])).toEqual([
      ['sent', undefined, undefined],
      ['opened', 'mailgun', false],
    ]);
  });

  it('refuses a bad signature, a five-minute-old timestamp and a reused token, changing nothing', async () => {
    const address = unique('mg-replay');
    const sent = await sendThrough('mailgun', address);
    const delivered = mgEvent(sent, 'delivered', address);

    const badKey = await request(t.app).post('/webhooks/mailgun').send(mailgunBody(delivered, { key: 'not-the-key' })).expect(401);
    expect(badKey.headers['content-type']).toMatch(/application\/problem\+json/);
    await request(t.app).post('/webhooks/mailgun').send({ 'event-data': delivered }).expect(401);
    await request(t.app)
      .post('/webhooks/mailgun')
      .send(mailgunBody(delivered, { timestamp: Math.floor(Date.now() / 1000) - 301 }))
      .expect(401);
    expect(await statusOf(sent.id)).toBe('sent');
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent']);

    const body = mailgunBody(delivered);
    await request(t.app).post('/webhooks/mailgun').send(body).expect(200);
    const replayed = await request(t.app).post('/webhooks/mailgun').send(body).expect(401);
    expect(replayed.body.detail).toMatch(/used before/);
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent', 'delivered']);
  });

  it('answers 200 and ignores a signed post whose event it cannot read', async () => {
    await request(t.app).post('/webhooks/mailgun').send(mailgunBody({ id: 'no-event-field' })).expect(200, { received: 1, recorded: 0, duplicates: 0, unmatched: 0, ignored: 1 });
  });

  it('records the same event once when Mailgun posts it again with a new token', async () => {
    const address = unique('mg-twice');
    const sent = await sendThrough('mailgun', address);
    const event = mgEvent(sent, 'complained', address);
    await request(t.app).post('/webhooks/mailgun').send(mailgunBody(event)).expect(200);
    await request(t.app).post('/webhooks/mailgun').send(mailgunBody(event)).expect(200, { received: 1, recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    expect((await eventsOf(sent.id)).map((e) => e.type)).toEqual(['sent', 'complained']);
    expect(await suppressionsFor(address)).toEqual([expect.objectContaining({ reason: 'complaint', expires_at: null })]);
  });
});

describe('unconfigured', () => {
  let bare: TestApp;

  beforeAll(async () => {
    bare = await startTestApp();
  });

  afterAll(async () => {
    await bare.close();
  });

  it('answers 503 naming the variable', async () => {
    const sg = await request(bare.app).post('/webhooks/sendgrid').send([]).expect(503);
    expect(sg.body).toMatchObject({ variable: 'SENDGRID_WEBHOOK_PUBLIC_KEY' });
    const mg = await request(bare.app).post('/webhooks/mailgun').send({}).expect(503);
    expect(mg.body).toMatchObject({ variable: 'MAILGUN_WEBHOOK_SIGNING_KEY' });
    expect(await sql<{ n: number }>`select count(*)::int as n from message_events`.execute(bare.infra.db).then((r) => r.rows[0]?.n)).toBe(0);
  });
});

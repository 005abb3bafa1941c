import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startDnsServer, type TestDnsServer, validationZone } from '../support/dns-server';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// VALIDATION_POLICY (validation.md, "At send time"): worker stops a message none of whose
// recipients can receive mail before any provider call; accept refuses it with 422 in 300 ms.

let dns: TestDnsServer;
let sink: SmtpSink;

beforeAll(async () => {
  dns = await startDnsServer(validationZone);
  sink = await startSmtpSink();
});

afterAll(async () => {
  await sink.close();
  await dns.close();
});

const sentTo = (address: string) => sink.messages.filter((m) => m.envelope.rcptTo.includes(address)).length;

describe('VALIDATION_POLICY=worker', () => {
  let t: TestApp;
  let worker: WorkerRuntime;

  beforeAll(async () => {
    t = await startTestApp({ DNS_SERVERS: dns.address, VALIDATION_POLICY: 'worker', MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url });
    worker = await startWorkerRuntime(t.infra);
  });

  afterAll(async () => {
    await worker.stop();
    await t.close();
  });

  const notify = async (to: string[]) =>
    (await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to, subject: 'Policy', text: 'hi' }).expect(202)).body.id as string;
  const settled = (id: string) =>
    waitUntil(
      async () => {
        const row = await t.database.db.selectFrom('messages').select(['status', 'error_message']).where('id', '=', id).executeTakeFirstOrThrow();
        return row.status === 'sent' || row.status === 'failed' ? row : undefined;
      },
      { what: `${id} to settle` },
    );

  it('every recipient undeliverable: failed with recipient_undeliverable, no provider called', async () => {
    const id = await notify(['ada@nowhere.example', 'bob@nullmx.example']);
    const row = await settled(id);
    expect(row.status).toBe('failed');
    expect(row.error_message).toMatch(/^recipient_undeliverable/);
    const events = await t.database.db.selectFrom('message_events').select(['type', 'data']).where('message_id', '=', id).execute();
    expect(events).toEqual([{ type: 'failed', data: expect.objectContaining({ error_class: 'recipient_undeliverable', provider: null, recipients: { 'ada@nowhere.example': 'nxdomain', 'bob@nullmx.example': 'null_mx' } }) }]);
    const tries = await t.database.db.selectFrom('delivery_attempts').select('id').where('message_id', '=', id).execute();
    expect(tries).toEqual([]);
    expect(sentTo('ada@nowhere.example') + sentTo('bob@nullmx.example')).toBe(0);
    const detail = await request(t.app).get(`/api/notify/${id}`).set('Authorization', adminBearer).expect(200);
    expect(detail.body.status).toBe('failed');
  });

  it('one deliverable recipient is enough to send', async () => {
    const id = await notify(['ada@nowhere.example', 'carol@mx.example']);
    expect((await settled(id)).status).toBe('sent');
    expect(sentTo('carol@mx.example')).toBe(1);
  });

  it('a contact message, to the inbox of the operator, is not checked', async () => {
    const res = await request(t.app).post('/api/contact').send({ name: 'Ada', email: 'ada@nowhere.example', message: 'hello' }).expect(202);
    expect((await settled(res.body.id as string)).status).toBe('sent');
  });

  it('unknown (SERVFAIL, timeout) never blocks', async () => {
    const id = await notify(['dave@servfail.example']);
    expect((await settled(id)).status).toBe('sent');
    expect(sentTo('dave@servfail.example')).toBe(1);
  });
});

describe('VALIDATION_POLICY=accept', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DNS_SERVERS: dns.address, VALIDATION_POLICY: 'accept' });
  });

  afterAll(async () => {
    await t.close();
  });

  const post = (body: Record<string, unknown>) => request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ subject: 'Policy', text: 'hi', ...body });

  it('refuses undeliverable recipients with 422 naming each, and stores nothing', async () => {
    const countMessages = async () => (await t.database.db.selectFrom('messages').select('id').execute()).length;
    const before = await countMessages();
    const res = await post({ to: ['erin@mx.example', 'frank@nowhere-accept.example'], cc: ['gina@nullmx.example'] }).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ error_class: 'recipient_undeliverable', errors: [{ field: 'to.1', message: 'undeliverable: nxdomain' }, { field: 'cc.0', message: 'undeliverable: null_mx' }] });
    expect(await countMessages()).toBe(before);
  });

  it('accepts deliverable recipients', async () => {
    await post({ to: ['erin@mx.example'] }).expect(202);
  });

  it('a silent DNS server does not block: accepted within the 300 ms budget', async () => {
    const started = Date.now();
    await post({ to: ['hal@silent.example'] }).expect(202);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a batch refuses only its undeliverable items', async () => {
    const items = [
      { idempotency_key: 'policy-1', to: 'ivy@mx.example', subject: 's', text: 't' },
      { idempotency_key: 'policy-2', to: 'jo@nowhere-accept.example', subject: 's', text: 't' },
    ];
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 422, errors: [{ field: 'to.0', message: 'undeliverable: nxdomain' }] });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startFakeMailgun, type FakeMailgun } from '../support/fake-mailgun';
import { startFakeSendgrid, type FakeSendgrid } from '../support/fake-sendgrid';
import { adminBearer, notification } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// accounts.md, attachments: checked at the edge, stored by the accept statement, delivered byte
// for byte by every provider, listed in the detail and downloadable by whoever may read the message.

let sink: SmtpSink;
let sendgrid: FakeSendgrid;
let mailgun: FakeMailgun;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  sendgrid = await startFakeSendgrid({ apiKey: 'SG.test-key' });
  mailgun = await startFakeMailgun({ apiKey: 'mg-test-key' });
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp,sendgrid,mailgun',
    SMTP_URL: sink.url,
    SENDGRID_API_KEY: 'SG.test-key',
    SENDGRID_BASE_URL: sendgrid.url,
    MAILGUN_API_KEY: 'mg-test-key',
    MAILGUN_DOMAIN: 'mg.example.com',
    MAILGUN_BASE_URL: mailgun.url,
    RETRY_BASE_DELAY_MS: '20',
  });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await Promise.all([sink.close(), sendgrid.close(), mailgun.close()]);
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A PDF-looking file of `size` bytes: the magic, then random bytes. */
function pdf(size: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
}

function file(content: Buffer, filename = 'quote.pdf', content_type = 'application/pdf') {
  return { filename, content_type, content: content.toString('base64') };
}

const statusOf = async (id: string) => (await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('a 3 MB PDF arrives byte-identical', () => {
  const quote = pdf(3 * 1024 * 1024);

  it.each([
    ['smtp', async (to: string) => {
      const mail = await waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes(to)), { what: 'the SMTP mail' });
      const part = mail.parsed.attachments[0];
      return { bytes: part?.content ?? Buffer.alloc(0), name: part?.filename, type: part?.contentType };
    }],
    ['sendgrid', async (to: string) => {
      const sent = await waitUntil(() => sendgrid.requests.find((r) => JSON.stringify(r.body).includes(to)), { what: 'the SendGrid request' });
      const part = (sent.body.attachments as { content: string; filename: string; type: string }[])[0];
      return { bytes: Buffer.from(part?.content ?? '', 'base64'), name: part?.filename, type: part?.type };
    }],
    ['mailgun', async (to: string) => {
      const sent = await waitUntil(() => mailgun.requests.find((r) => r.fields.to?.includes(to)), { what: 'the Mailgun request' });
      const part = sent.files.attachment?.[0];
      return { bytes: part?.bytes ?? Buffer.alloc(0), name: part?.name, type: part?.type };
    }],
  ])('through %s', async (provider, received) => {
    const to = `${provider}-pdf@example.com`;
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ ...notification, to, provider, use_fallback: false, attachments: [file(quote)] })
      .expect(202);
    const got = await received(to);
    expect(got.name).toBe('quote.pdf');
    expect(got.type).toBe('application/pdf');
    expect(got.bytes.length).toBe(quote.length);
    expect(sha256(got.bytes)).toBe(sha256(quote));
    await waitUntil(async () => (await statusOf(res.body.id)) === 'sent');
  });
});

describe('the detail and the download', () => {
  it('lists name, type, size and digest; the owner and an admin download the bytes; another client gets 404', async () => {
    const owner = await t.bearerWith('notify:send', 'messages:read');
    const other = await t.bearerWith('notify:send', 'messages:read');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(500)]);
    const body = { ...notification, to: 'detail@example.com', html: '<img src="cid:logo@x">', attachments: [file(pdf(2000)), { ...file(png, 'logo.png', 'image/png'), content_id: 'logo@x' }] };
    const { id } = (await request(t.app).post('/api/notify').set('Authorization', owner).send(body).expect(202)).body as { id: string };
    const detail = await request(t.app).get(`/api/notify/${id}`).set('Authorization', owner).expect(200);
    expect(detail.body.attachments).toEqual([
      { position: 0, filename: 'quote.pdf', content_type: 'application/pdf', content_id: null, size: 2000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { position: 1, filename: 'logo.png', content_type: 'image/png', content_id: 'logo@x', size: png.length, sha256: sha256(png) },
    ]);
    const download = await request(t.app).get(`/api/notify/${id}/attachments/1`).set('Authorization', owner).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.headers['content-disposition']).toBe("attachment; filename*=UTF-8''logo.png");
    expect(sha256(download.body as Buffer)).toBe(sha256(png));
    await request(t.app).get(`/api/notify/${id}/attachments/1`).set('Authorization', adminBearer).expect(200);
    await request(t.app).get(`/api/notify/${id}/attachments/1`).set('Authorization', other).expect(404);
    await request(t.app).get(`/api/notify/${id}/attachments/2`).set('Authorization', owner).expect(404);
    // The inline image reaches the mail as a related part with its content id.
    const mail = await waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes('detail@example.com')));
    const parts = mail.parsed.attachments.map((a) => [a.filename, a.cid ?? null]);
    expect(parts).toHaveLength(2);
    expect(parts).toEqual(expect.arrayContaining([['quote.pdf', null], ['logo.png', 'logo@x']]));
  });

  it('a message without files has none, and no rows in message_attachments', async () => {
    const { id } = (await request(t.app).post('/api/notify').set('Authorization', adminBearer).send(notification).expect(202)).body as { id: string };
    expect((await request(t.app).get(`/api/notify/${id}`).set('Authorization', adminBearer).expect(200)).body.attachments).toEqual([]);
    const rows = await t.database.db.selectFrom('message_attachments').select('position').where('message_id', '=', id).execute();
    expect(rows).toEqual([]);
  });
});

describe('refusals name the field', () => {
  const post = (attachments: unknown[]) => request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ ...notification, attachments });
  const fieldsOf = (res: request.Response) => (res.body.errors as { field: string }[]).map((e) => e.field);

  it('more than 10 files', async () => {
    const res = await post(Array.from({ length: 11 }, (_, i) => file(pdf(100), `f${i}.pdf`))).expect(422);
    expect(fieldsOf(res)).toEqual(['attachments']);
  });

  it('more than 10 MB together', async () => {
    const res = await post([file(pdf(5_400_000), 'a.pdf'), file(pdf(5_400_000), 'b.pdf')]).expect(422);
    expect(fieldsOf(res)).toEqual(['attachments']);
  });

  it('a file named .pdf that is not a PDF', async () => {
    const res = await post([file(Buffer.from('MZ\x90\x00 this is an executable'), 'invoice.pdf')]).expect(422);
    expect(fieldsOf(res)).toEqual(['attachments.0.content']);
  });

  it.each([
    ['a path', '../etc/passwd.pdf'],
    ['a Windows path', '..\\boot.pdf'],
    ['CR/LF', 'quote.pdf\r\nX-Injected: 1'],
    ['more than 255 octets', `${'é'.repeat(130)}.pdf`],
  ])('a filename with %s', async (_what, filename) => {
    const res = await post([file(pdf(100), filename)]).expect(422);
    expect(fieldsOf(res)).toEqual(['attachments.0.filename']);
  });

  it('a type outside the allowlist, and content that is not base64', async () => {
    const res = await post([file(Buffer.from('#!/bin/sh'), 'x.sh', 'application/x-sh'), { filename: 'y.pdf', content_type: 'application/pdf', content: 'not base64!' }]).expect(422);
    expect(fieldsOf(res).sort()).toEqual(['attachments.0.content_type', 'attachments.1.content']);
  });
});

describe('idempotency covers the files', () => {
  it('the same request replays; a changed file under the same key is 422', async () => {
    const body = { ...notification, to: 'replay@example.com', attachments: [file(pdf(1000))] };
    const key = `att-${Date.now()}`;
    const first = await request(t.app).post('/api/notify').set('Authorization', adminBearer).set('Idempotency-Key', key).send(body).expect(202);
    const again = await request(t.app).post('/api/notify').set('Authorization', adminBearer).set('Idempotency-Key', key).send(body).expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const changed = { ...body, attachments: [file(pdf(1000))] };
    await request(t.app).post('/api/notify').set('Authorization', adminBearer).set('Idempotency-Key', key).send(changed).expect(422);
    const rows = await t.database.db.selectFrom('message_attachments').select('sha256').where('message_id', '=', first.body.id).execute();
    expect(rows).toEqual([{ sha256: sha256(Buffer.from(body.attachments[0]?.content ?? '', 'base64')) }]);
  });

  it('batch items carry their own files', async () => {
    const items = [
      { ...notification, idempotency_key: `b-${Date.now()}-0`, attachments: [file(pdf(300))] },
      { ...notification, idempotency_key: `b-${Date.now()}-1` },
      { ...notification, idempotency_key: `b-${Date.now()}-2`, attachments: [file(Buffer.from('nope'), 'x.pdf')] },
    ];
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([202, 202, 422]);
    expect(res.body.results[2].errors[0].field).toBe('items.2.attachments.0.content');
    const counts = await t.database.db.selectFrom('messages').select(['id', 'attachment_count']).where('id', 'in', [res.body.results[0].id, res.body.results[1].id]).execute();
    expect(new Map(counts.map((c) => [c.id, c.attachment_count]))).toEqual(new Map([[res.body.results[0].id, 1], [res.body.results[1].id, 0]]));
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { OutgoingMail } from '../../services/mail/outgoing-mail';
import { SmtpProvider } from '../../services/mail/providers/smtp-provider';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';

// A local file and a local URL that no message may ever pull in.
const SECRET = `SECRET-FILE-CONTENT-${randomUUID()}`;
let dir: string;
let secretPath: string;
let web: Server;
let webHits = 0;
let webUrl: string;
let sink: SmtpSink;
let t: TestApp;
let runtime: WorkerRuntime;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'herald-file-access-'));
  secretPath = path.join(dir, 'secret.txt');
  await writeFile(secretPath, SECRET);
  web = createServer((_req, res) => {
    webHits += 1;
    res.end(SECRET);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/pixel.png`;
  sink = await startSmtpSink();
  // The URL tries to switch the sandbox off; the provider must keep it on regardless.
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: `${sink.url}/?disableFileAccess=false&disableUrlAccess=false`, RETRY_BASE_DELAY_MS: '10' });
  runtime = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await runtime.stop();
  await t.close();
  await sink.close();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});


it('sends file: and http: references in a body as text, reading no file and fetching no URL (checked at the SMTP peer)', async () => {
  const before = sink.messages.length;
  const html = `<p>Hi</p><img src="file://${secretPath}"><img src="file:///etc/passwd"><img src="${webUrl}"><a href="cid:x">x</a>`;
  const text = `${secretPath}\nfile:///etc/passwd\n${webUrl}`;
  const res = await request(t.app)
    .post('/api/notify')
    .set('Authorization', adminBearer)
    .send({
      to: 'ops@example.com',
      subject: `Report ${secretPath}`,
      text,
      html,
      metadata: { attachments: [{ path: secretPath }, { href: webUrl }], html: { path: secretPath } },
    })
    .expect(202);
  const contact = await request(t.app).post('/api/contact').send({ name: 'Ada', email: 'ada@example.com', message: `file://${secretPath}\n${secretPath}\n${webUrl}` }).expect(202);

  const messages = (await sink.waitFor(before + 2, 10_000)).slice(before);
  expect(messages).toHaveLength(2);
  for (const message of messages) {
    expect(message.raw).not.toContain(SECRET);
    expect(message.raw).not.toMatch(/root:.*:0:0:/);
    expect(message.parsed.attachments).toEqual([]);
  }
  const sent = messages.find((m) => m.parsed.messageId?.includes(res.body.id as string));
  expect(sent?.parsed.html).toBe(html);
  expect(sent?.parsed.text?.trim()).toBe(text);
  expect(messages.find((m) => m.parsed.messageId?.includes(contact.body.id as string))).toBeDefined();
  expect(webHits).toBe(0);
});

it('refuses a body given as a file or URL object at the API', async () => {
  for (const html of [{ path: secretPath }, { href: webUrl }, { content: 'x', path: secretPath }]) {
    await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'ops@example.com', subject: 's', html }).expect(422);
  }
  for (const text of [{ path: secretPath }, [secretPath]]) {
    await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'ops@example.com', subject: 's', text }).expect(422);
  }
});

describe('SmtpProvider sandbox, if a file or URL reference ever slipped past the API', () => {
  const base: OutgoingMail = {
    messageId: `<${randomUUID()}@herald.test>`,
    from: 'Herald <herald@herald.test>',
    to: ['ops@example.com'],
    cc: [],
    bcc: [],
    subject: 'sandbox',
    tags: [],
    metadata: {},
  };

  it.each([
    ['an html body that is a file path', (p: string) => ({ html: { path: p } })],
    ['a text body that is a file path', (p: string) => ({ text: { path: p } })],
    ['an html body that is a URL', () => ({ html: { href: webUrl } })],
  ])('refuses %s: nothing read, nothing fetched, nothing sent', async (_label, body) => {
    const provider = new SmtpProvider(`${sink.url}/?disableFileAccess=false&disableUrlAccess=false`, { connectTimeoutMs: 2000 });
    const before = sink.messages.length;
    try {
      // Deliberately past the types: this is the hole the sandbox exists for.
      const mail = { ...base, ...body(secretPath) } as unknown as OutgoingMail;
      await expect(provider.send(mail)).rejects.toThrow(/access rejected/i);
    } finally {
      await provider.close();
    }
    expect(sink.messages.length).toBe(before);
    expect(webHits).toBe(0);
  });
});

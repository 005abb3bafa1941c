import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { OutgoingMail } from '../../services/mail/outgoing-mail';
import { MailgunProvider } from '../../services/mail/providers/mailgun-provider';
import { ProviderError } from '../../services/mail/providers/mail-provider';
import { OutboxProvider } from '../../services/mail/providers/outbox-provider';
import { createProviders } from '../../services/mail/providers/provider-factory';
import { SendgridProvider } from '../../services/mail/providers/sendgrid-provider';
import { SmtpProvider } from '../../services/mail/providers/smtp-provider';
import { loadConfig } from '../../services/platform/config';
import { startFakeMailgun, type FakeMailgun } from '../support/fake-mailgun';
import { startFakeSendgrid, type FakeSendgrid } from '../support/fake-sendgrid';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const SENDGRID_KEY = 'SG.test-key';
const MAILGUN_KEY = 'key-test';
const MAILGUN_DOMAIN = 'mg.example.test';

function sampleMail(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    messageId: '<0b7c6f9e-1111-4222-8333-944455556666@herald.test>',
    heraldId: '0b7c6f9e-1111-4222-8333-944455556666',
    from: 'Herald <herald@example.test>',
    to: ['alice@example.test', 'bob@example.test'],
    cc: ['carol@example.test'],
    bcc: ['dave@example.test'],
    replyTo: 'support@example.test',
    subject: 'Build 42 passed',
    text: 'All green.\nSee you.',
    html: '<p>All <b>green</b>.</p>',
    tags: ['ci', 'build'],
    metadata: { build: 42, branch: 'main' },
    ...overrides,
  };
}

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function sendError(send: Promise<unknown>): Promise<ProviderError> {
  const err: unknown = await send.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
}

describe('SmtpProvider', () => {
  let sink: SmtpSink;
  let provider: SmtpProvider;

  beforeEach(async () => {
    sink = await startSmtpSink();
    provider = new SmtpProvider(sink.url);
  });
  afterEach(async () => {
    await provider.close();
    await sink.close();
  });

  it('delivers both parts with our Message-ID, Reply-To and the full envelope', async () => {
    const mail = sampleMail();
    const result = await provider.send(mail);
    const [received] = await sink.waitFor(1);

    expect(result.providerMessageId).toBe(mail.messageId);
    expect(received?.parsed.messageId).toBe(mail.messageId);
    expect(received?.parsed.replyTo?.text).toBe('support@example.test');
    expect(received?.parsed.subject).toBe('Build 42 passed');
    expect(received?.parsed.text?.trim()).toBe('All green.\nSee you.');
    expect(received?.parsed.html).toContain('<p>All <b>green</b>.</p>');
    expect(received?.envelope.mailFrom).toBe('herald@example.test');
    expect(received?.envelope.rcptTo).toEqual(['alice@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test']);
    // Bcc travels in the envelope only.
    expect(received?.raw).not.toMatch(/^bcc:/im);
    // Metadata never becomes a header.
    expect(received?.raw).not.toContain('branch');
  });

  it('classifies a 550 on RCPT as permanent', async () => {
    sink.rejectNextRecipients(1, 550);
    const err = await sendError(provider.send(sampleMail({ to: ['gone@example.test'], cc: [], bcc: [] })));
    expect(err.kind).toBe('permanent');
    expect(err.statusCode).toBe(550);
    expect(err.message).toContain('550');
    expect(err.message).not.toContain('All green');
  });

  it('classifies a 451 on RCPT as transient', async () => {
    sink.rejectNextRecipients(1, 451);
    const err = await sendError(provider.send(sampleMail({ to: ['busy@example.test'], cc: [], bcc: [] })));
    expect(err.kind).toBe('transient');
    expect(err.statusCode).toBe(451);
  });

  it('classifies all recipients refused, one only for now, as transient', async () => {
    sink.rejectNextRecipients(1, 550);
    sink.rejectNextRecipients(1, 451);
    const err = await sendError(provider.send(sampleMail({ to: ['gone@example.test', 'busy@example.test'], cc: [], bcc: [] })));
    expect(err.kind).toBe('transient');
  });

  it('sends to the accepted recipients when only some are refused', async () => {
    sink.rejectNextRecipients(1, 550);
    await provider.send(sampleMail({ to: ['gone@example.test', 'bob@example.test'], cc: [], bcc: [] }));
    const [received] = await sink.waitFor(1);
    expect(received?.envelope.rcptTo).toEqual(['bob@example.test']);
  });

  it('classifies a refused connection as transient', async () => {
    const nowhere = new SmtpProvider(`smtp://127.0.0.1:${await closedPort()}`);
    try {
      const err = await sendError(nowhere.send(sampleMail()));
      expect(err.kind).toBe('transient');
      expect(err.message).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    } finally {
      await nowhere.close();
    }
  });
});

describe('SmtpProvider with authentication', () => {
  let sink: SmtpSink;

  beforeEach(async () => {
    sink = await startSmtpSink({ credentials: { user: 'herald', pass: 's3cret' } });
  });
  afterEach(async () => {
    await sink.close();
  });

  it('logs in with the credentials from SMTP_URL', async () => {
    const provider = new SmtpProvider(sink.url);
    try {
      await provider.send(sampleMail());
      const [received] = await sink.waitFor(1);
      expect(received?.user).toBe('herald');
    } finally {
      await provider.close();
    }
  });

  it('classifies a 535 login failure as misconfigured', async () => {
    const provider = new SmtpProvider(sink.url.replace('s3cret', 'wrong'));
    try {
      const err = await sendError(provider.send(sampleMail()));
      expect(err.kind).toBe('misconfigured');
      expect(err.statusCode).toBe(535);
      expect(err.message).not.toContain('wrong');
    } finally {
      await provider.close();
    }
  });
});

describe('SendgridProvider', () => {
  let fake: FakeSendgrid;
  let provider: SendgridProvider;

  beforeEach(async () => {
    fake = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
    provider = new SendgridProvider({ apiKey: SENDGRID_KEY, baseUrl: fake.url });
  });
  afterEach(async () => {
    await provider.close();
    await fake.close();
  });

  it('posts the message to the configured base URL with bearer auth', async () => {
    const result = await provider.send(sampleMail());

    expect(result.providerMessageId).toMatch(/^sg-/);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${SENDGRID_KEY}`);
    expect(request?.body).toEqual({
      from: { email: 'herald@example.test', name: 'Herald' },
      personalizations: [
        {
          to: [{ email: 'alice@example.test' }, { email: 'bob@example.test' }],
          cc: [{ email: 'carol@example.test' }],
          bcc: [{ email: 'dave@example.test' }],
        },
      ],
      reply_to: { email: 'support@example.test' },
      subject: 'Build 42 passed',
      content: [
        { type: 'text/plain', value: 'All green.\nSee you.' },
        { type: 'text/html', value: '<p>All <b>green</b>.</p>' },
      ],
      headers: { 'Message-ID': '<0b7c6f9e-1111-4222-8333-944455556666@herald.test>' },
      categories: ['ci', 'build'],
      custom_args: { build: '42', branch: 'main', herald_message_id: '0b7c6f9e-1111-4222-8333-944455556666' },
    });
  });

  it.each([
    [400, 'permanent'],
    [401, 'misconfigured'],
    [403, 'misconfigured'],
    [429, 'transient'],
    [500, 'transient'],
  ] as const)('classifies HTTP %i as %s', async (status, kind) => {
    fake.failNext(status);
    const err = await sendError(provider.send(sampleMail()));
    expect(err.kind).toBe(kind);
    expect(err.statusCode).toBe(status);
    expect(err.message).toContain(`fake failure ${status}`);
    expect(err.message).not.toContain('All green');
  });

  it('classifies a wrong API key as misconfigured and keeps the key out of the message', async () => {
    const wrong = new SendgridProvider({ apiKey: 'SG.wrong-key', baseUrl: fake.url });
    const err = await sendError(wrong.send(sampleMail()));
    expect(err.kind).toBe('misconfigured');
    expect(err.statusCode).toBe(401);
    expect(err.message).not.toContain('SG.wrong-key');
  });

  it('classifies a refused connection as transient', async () => {
    const nowhere = new SendgridProvider({ apiKey: SENDGRID_KEY, baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await sendError(nowhere.send(sampleMail()));
    expect(err.kind).toBe('transient');
    expect(err.statusCode).toBeUndefined();
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain(SENDGRID_KEY);
  });
});

describe('MailgunProvider', () => {
  let fake: FakeMailgun;
  let provider: MailgunProvider;

  beforeEach(async () => {
    fake = await startFakeMailgun({ apiKey: MAILGUN_KEY });
    provider = new MailgunProvider({ apiKey: MAILGUN_KEY, domain: MAILGUN_DOMAIN, baseUrl: fake.url });
  });
  afterEach(async () => {
    await provider.close();
    await fake.close();
  });

  it('posts the message as form fields with basic auth', async () => {
    const result = await provider.send(sampleMail());

    expect(result.providerMessageId).toMatch(new RegExp(`^<.+@${MAILGUN_DOMAIN}>$`));
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.domain).toBe(MAILGUN_DOMAIN);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`api:${MAILGUN_KEY}`).toString('base64')}`);
    expect(request?.fields).toEqual({
      from: ['Herald <herald@example.test>'],
      to: ['alice@example.test', 'bob@example.test'],
      cc: ['carol@example.test'],
      bcc: ['dave@example.test'],
      subject: ['Build 42 passed'],
      text: ['All green.\nSee you.'],
      html: ['<p>All <b>green</b>.</p>'],
      'h:Message-Id': ['<0b7c6f9e-1111-4222-8333-944455556666@herald.test>'],
      'h:Reply-To': ['support@example.test'],
      'o:tag': ['ci', 'build'],
      'v:build': ['42'],
      'v:branch': ['main'],
      'v:herald_message_id': ['0b7c6f9e-1111-4222-8333-944455556666'],
    });
  });

  it.each([
    [400, 'permanent'],
    [401, 'misconfigured'],
    [429, 'transient'],
    [500, 'transient'],
  ] as const)('classifies HTTP %i as %s', async (status, kind) => {
    fake.failNext(status);
    const err = await sendError(provider.send(sampleMail()));
    expect(err.kind).toBe(kind);
    expect(err.statusCode).toBe(status);
    expect(err.message).toContain(`fake failure ${status}`);
    expect(err.message).not.toContain('All green');
  });

  it('classifies a wrong API key as misconfigured', async () => {
    const wrong = new MailgunProvider({ apiKey: 'key-wrong', domain: MAILGUN_DOMAIN, baseUrl: fake.url });
    const err = await sendError(wrong.send(sampleMail()));
    expect(err.kind).toBe('misconfigured');
    expect(err.statusCode).toBe(401);
    expect(err.message).not.toContain('key-wrong');
  });

  it('classifies a refused connection as transient, although mailgun.js reports it as a 400', async () => {
    const nowhere = new MailgunProvider({ apiKey: MAILGUN_KEY, domain: MAILGUN_DOMAIN, baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await sendError(nowhere.send(sampleMail()));
    expect(err.kind).toBe('transient');
    expect(err.statusCode).toBeUndefined();
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('OutboxProvider', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'herald-outbox-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a parseable .eml named after the row id, creating the directory', async () => {
    const outbox = new OutboxProvider(path.join(directory, 'nested', 'outbox'));
    const mail = sampleMail();
    const result = await outbox.send(mail);

    expect(result.providerMessageId).toBe(mail.messageId);
    const files = await readdir(path.join(directory, 'nested', 'outbox'));
    expect(files).toEqual(['0b7c6f9e-1111-4222-8333-944455556666.eml']);
    const parsed = await simpleParser(await readFile(path.join(directory, 'nested', 'outbox', files[0] ?? '')));
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.subject).toBe('Build 42 passed');
    expect(parsed.replyTo?.text).toBe('support@example.test');
    expect(parsed.text?.trim()).toBe('All green.\nSee you.');
    expect(parsed.html).toContain('<b>green</b>');
    expect(parsed.bcc).toBeDefined();
  });

  it('keeps a hostile message id from escaping the directory', async () => {
    const outbox = new OutboxProvider(directory);
    await outbox.send(sampleMail({ messageId: '<../../etc/passwd@herald.test>' }));
    const files = await readdir(directory);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[A-Za-z0-9._-]+\.eml$/);
    expect(files[0]?.startsWith('.')).toBe(false);
  });

  it('reports an unwritable directory as transient', async () => {
    const notADirectory = path.join(directory, 'file');
    await writeFile(notADirectory, 'in the way');
    const err = await sendError(new OutboxProvider(path.join(notADirectory, 'outbox')).send(sampleMail()));
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('outbox write failed');
  });
});

describe('createProviders', () => {
  it('builds the chain in MAIL_PROVIDERS order', async () => {
    const config = loadConfig({
      MAIL_PROVIDERS: 'mailgun,smtp,sendgrid,outbox',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      SENDGRID_API_KEY: SENDGRID_KEY,
      MAILGUN_API_KEY: MAILGUN_KEY,
      MAILGUN_DOMAIN,
    });
    const providers = createProviders(config);
    try {
      expect(providers.map((provider) => provider.name)).toEqual(['mailgun', 'smtp', 'sendgrid', 'outbox']);
    } finally {
      await Promise.all(providers.map((provider) => provider.close()));
    }
  });

  it('falls back to the outbox when nothing is configured', () => {
    expect(createProviders(loadConfig({})).map((provider) => provider.name)).toEqual(['outbox']);
  });
});

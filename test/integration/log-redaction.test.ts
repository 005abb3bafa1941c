import { inspect } from 'node:util';
import express from 'express';
import jwt from 'jsonwebtoken';
import { sql } from 'kysely';
import request from 'supertest';
import { ApiKeyRepository } from '../../services/auth/api-key-repository';
import { ApiKeyService } from '../../services/auth/api-keys';
import { createApiApp, createServices, type Infrastructure } from '../../services/app';
import { accessLog, errorHandler, requestId } from '../../services/platform/http';
import { createLogger, maskEmail } from '../../services/platform/logger';
import { type LoggedHerald, startLoggedHerald } from '../support/logged-herald';
import type { SmtpSink } from '../support/smtp-sink';
import type { TestDatabase } from '../support/test-db';

const ADMIN_KEY = 'admin-key-that-must-never-be-logged-7f3a';
const JWT_SECRET = 'jwt-secret-that-must-never-be-logged-91c2';
const PASSWORD = 'hunter2-correct-horse-battery';

const visitor = {
  name: 'Zebulon Quixote',
  email: 'zebulon.quixote@visitor.example',
  message: 'The pudding recipe needs forty-two quail eggs and a whisper of saffron.',
};
const notification = {
  to: ['payroll.manager@corp.example'],
  cc: ['cc.auditor@corp.example'],
  bcc: ['bcc.archive@corp.example'],
  reply_to: 'reply.desk@corp.example',
  subject: 'Quarterly payroll numbers for the northern office',
  text: 'Plain body: the northern office payroll is 1,234,567 crowns.',
  html: '<p>HTML body: bonus pool of 89,012 crowns</p>',
};

let database: TestDatabase;
let sink: SmtpSink;
let infra: Infrastructure;
let lines: string[];

let herald: LoggedHerald;

beforeAll(async () => {
  herald = await startLoggedHerald({
    CONTACT_INBOX: 'contact.inbox@herald.example',
    HERALD_ADMIN_KEY: ADMIN_KEY,
    JWT_SECRET,
    RETRY_BASE_DELAY_MS: '10',
  });
  ({ database, sink, infra, lines } = herald);
});

afterAll(async () => {
  await herald.close();
});

async function waitForStatus(table: 'contact' | 'notification', ids: readonly string[], statuses: readonly string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await database.db.selectFrom('messages').where('kind', '=', table).select('status').where('id', 'in', ids).execute();
    if (rows.length === ids.length && rows.every((row) => statuses.includes(row.status))) return;
    if (Date.now() > deadline) throw new Error(`${table}: not all of ${ids.join(', ')} reached ${statuses.join('/')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('never logs a full address, a message body, a subject, a token or a password over a full accept-and-deliver run', async () => {
  const app = createApiApp(infra, createServices(infra));
  const { key: apiKey } = await new ApiKeyService(new ApiKeyRepository(infra.db)).create('log test', ['notify:send', 'messages:read']);
  const token = jwt.sign({ sub: 'billing', aud: 'herald', scope: 'notify:send messages:read', exp: Math.floor(Date.now() / 1000) + 600 }, JWT_SECRET, {
    algorithm: 'HS256',
  });

  // Accepted and delivered: a contact message (JSON and form), notifications through each credential.
  const contact = await request(app).post('/api/contact').set('User-Agent', 'Mozilla/5.0 test').send(visitor).expect(202);
  const form = await request(app)
    .post('/api/contact')
    .type('form')
    .send(new URLSearchParams({ ...visitor, message: `${visitor.message} (form)` }).toString())
    .expect(202);
  const viaKey = await request(app).post('/api/notify').set('Authorization', `Bearer ${apiKey}`).send(notification).expect(202);
  const viaAdmin = await request(app).post('/api/notify').set('Authorization', `Bearer ${ADMIN_KEY}`).send(notification).expect(202);
  const viaJwt = await request(app).post('/api/notify').set('Authorization', `Bearer ${token}`).send(notification).expect(202);
  const batch = await request(app)
    .post('/api/notify/batch')
    .set('Authorization', `Bearer ${apiKey}`)
    .send({ items: [{ ...notification, idempotency_key: 'log-batch-1' }, { ...notification, to: 'not an address', idempotency_key: 'log-batch-2' }] })
    .expect(202);
  const batchId = (batch.body as { results: { id?: string }[] }).results[0]?.id ?? '';

  await waitForStatus('contact', [contact.body.id, form.body.id], ['sent']);
  await waitForStatus('notification', [viaKey.body.id, viaAdmin.body.id, viaJwt.body.id, batchId], ['sent']);

  // One that the relay refuses for good, so the failure path logs too.
  sink.rejectNextRecipients(1, 550);
  const refused = await request(app)
    .post('/api/notify')
    .set('Authorization', `Bearer ${apiKey}`)
    .send({ ...notification, cc: [], bcc: [], to: 'refused.person@corp.example' })
    .expect(202);

  // Rejections and reads, with secrets and addresses in every place a client can put them.
  await request(app).post('/api/notify').set('Authorization', `Bearer ${apiKey}x`).send(notification).expect(401);
  await request(app).post('/api/notify').set('Authorization', `Bearer ${token.slice(0, -3)}abc`).send(notification).expect(401);
  await request(app).post('/api/contact').send({ ...visitor, email: `${visitor.email}\r\nBcc: x@y.example`, password: PASSWORD }).expect(422);
  await request(app).post('/api/contact').set('Content-Type', 'application/json').send(`{"email":"${visitor.email}","password":"${PASSWORD}"`).expect(400);
  await request(app).get(`/api/contact?email=${encodeURIComponent(visitor.email)}&token=${apiKey}`).set('Authorization', `Bearer ${apiKey}`).expect(200);
  await request(app).get('/api/contact').set('Authorization', `Bearer ${ADMIN_KEY}`).set('Cookie', `session=${PASSWORD}`).expect(200);
  await request(app).get(`/api/notify/${viaKey.body.id as string}`).set('Authorization', `Bearer ${token}`).expect(404);

  await waitForStatus('notification', [refused.body.id], ['failed']);
  expect(sink.messages.length).toBeGreaterThanOrEqual(6);

  const log = lines.join('');
  // The run was logged: access lines for every request and one line per delivery outcome.
  expect(lines.length).toBeGreaterThan(20);
  expect(log).toContain('"msg":"delivered"');
  expect(log).toContain('"msg":"delivery failed"');
  expect(log).toContain('"statusCode":401');

  const secrets: Record<string, string> = {
    'visitor address': visitor.email,
    'visitor message': visitor.message,
    'contact subject line name': `contact message from ${visitor.name}`,
    'notification subject': notification.subject,
    'notification text': notification.text,
    'notification html': notification.html,
    'recipient address': notification.to[0] ?? '',
    'cc address': notification.cc[0] ?? '',
    'bcc address': notification.bcc[0] ?? '',
    'reply-to address': notification.reply_to,
    'refused address': 'refused.person@corp.example',
    'contact inbox': 'contact.inbox@herald.example',
    'API key': apiKey,
    'API key secret part': apiKey.slice(12),
    'admin key': ADMIN_KEY,
    JWT: token,
    'JWT signature': token.split('.')[2] ?? token,
    'JWT secret': JWT_SECRET,
    password: PASSWORD,
  };
  for (const [what, secret] of Object.entries(secrets)) {
    expect({ what, leaked: log.includes(secret) }).toEqual({ what, leaked: false });
    expect({ what, leaked: log.includes(JSON.stringify(secret).slice(1, -1)) }).toEqual({ what, leaked: false });
  }
  // Nothing that looks like a full address at all: only masked ones (j***@example.com) may appear.
  const addresses = log.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g) ?? [];
  expect(addresses.filter((address) => !/^.\*\*\*@/.test(address))).toEqual([]);
});

it('never logs what a Postgres error echoes of the data: its where, detail, message or stack (issue 19)', async () => {
  const MARKER = 'pg-echo-marker-3b9d';
  // What a gap in validation would let through; each makes Postgres repeat the marker back.
  const failures: Record<string, () => Promise<unknown>> = {
    // The grouped INSERT's own construction: rows as one JSON parameter, metadata unwrapped to jsonb.
    'a lone surrogate in metadata': () =>
      sql`select (r.metadata #>> '{}')::jsonb from json_to_recordset(${JSON.stringify([{ metadata: JSON.stringify({ [MARKER]: '\ud800' }) }])}::json) as r(metadata json)`.execute(infra.db),
    'text where a timestamp belongs': () => sql`select ${MARKER}::timestamptz`.execute(infra.db),
    'text where a uuid belongs': () => sql`select ${MARKER}::uuid`.execute(infra.db),
    'a duplicate unique key': () =>
      infra.db.transaction().execute(async (trx) => {
        await sql`create temp table log_redaction_keys (key text primary key) on commit drop`.execute(trx);
        await sql`insert into log_redaction_keys values (${MARKER}), (${MARKER})`.execute(trx);
      }),
    'a Postgres error as the cause of another': () =>
      sql`select ${MARKER}::int`.execute(infra.db).catch((error: unknown) => {
        throw new Error('grouped insert failed', { cause: error });
      }),
    'Postgres errors inside an AggregateError': () =>
      Promise.allSettled([sql`select ${MARKER}::int`.execute(infra.db), sql`select ${MARKER}::date`.execute(infra.db)]).then((settled) => {
        throw new AggregateError(settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : [])), 'both failed');
      }),
  };
  const thrown: unknown[] = [];
  const app = express();
  app.use(requestId());
  app.use(accessLog(infra.logger));
  app.get('/fail/:name', async (req) => {
    const failure = failures[req.params.name ?? ''];
    if (failure === undefined) throw new Error('no such failure');
    await failure().catch((error: unknown) => {
      thrown.push(error);
      throw error;
    });
  });
  app.use(errorHandler(infra.logger));

  const from = lines.length;
  for (const name of Object.keys(failures)) await request(app).get(`/fail/${encodeURIComponent(name)}`).expect(500);
  // A careless call under another key than err, and the error logged a second time by a worker.
  const [first] = thrown;
  infra.logger.warn({ error: first }, 'logged under error');
  infra.logger.error({ err: first, jobId: 'j1' }, 'worker error');

  // The test means something only if each error does carry the marker somewhere.
  expect(thrown).toHaveLength(Object.keys(failures).length);
  for (const error of thrown) expect(inspect(error, { depth: 5 })).toContain(MARKER);

  const written = lines.slice(from);
  expect(written.filter((line) => line.includes('"msg":"unhandled error"'))).toHaveLength(Object.keys(failures).length);
  expect(written.filter((line) => line.includes(MARKER))).toEqual([]);
  // What is kept says which failure it was: the SQLSTATE code and the routine that raised it.
  const errorLines = written.filter((line) => line.includes('"msg":"unhandled error"') || line.includes('"msg":"worker error"') || line.includes('"msg":"logged under error"'));
  for (const line of errorLines) expect(line).toMatch(/"code":"2[23][0-9A-Z]{3}"|Postgres error 2[23][0-9A-Z]{3}/);
  expect(written.join('')).toContain('"routine":');
  for (const field of ['where', 'detail', 'hint', 'internalQuery']) expect(written.filter((line) => line.includes(`"${field}":`))).toEqual([]);
});

it('masks what a careless log call would otherwise write in full', () => {
  const captured: string[] = [];
  const logger = createLogger(
    { level: 'info', role: 'test' },
    {
      write(line: string) {
        captured.push(line);
      },
    },
  );
  logger.info(
    { to: 'jane.doe@example.com', err: new Error('550 5.1.1 <bob.smith@corp.example>: Recipient address rejected'), password: PASSWORD, token: 'hrld_abc', body: visitor.message },
    'sent to Jane <jane.doe@example.com>',
  );
  const line = captured.join('');
  expect(line).not.toContain('jane.doe@example.com');
  expect(line).not.toContain('bob.smith@corp.example');
  expect(line).toContain('j***@example.com');
  expect(line).toContain('b***@corp.example');
  expect(line).not.toContain(PASSWORD);
  expect(line).not.toContain('hrld_abc');
  expect(line).not.toContain(visitor.message);
  expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
});

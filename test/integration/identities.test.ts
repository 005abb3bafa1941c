import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { sql } from 'kysely';
import request from 'supertest';
import { createApiApp, createServices, type Infrastructure } from '../../services/app';
import { IdentityTransports } from '../../services/mail/identity-transports';
import { ProviderError } from '../../services/mail/providers/mail-provider';
import { WebhookSecrets } from '../../services/webhooks/secrets';
import { ADMIN_KEY, adminBearer, bearer } from '../support/fixtures';
import { runHerald } from '../support/herald-process';
import { type LoggedHerald, startLoggedHerald } from '../support/logged-herald';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';
import { waitUntil } from '../support/wait';

// accounts.md, "Sender identities": the From rules, an identity's own SMTP server, the fallback
// to the default chain, the checks, the keyring and the SSRF guard, against a real database,
// Redis, Herald's SMTP relay and a second SMTP server that requires AUTH.

const KEY_1 = `k1:${randomBytes(32).toString('base64')}`;
const KEY_2 = `k2:${randomBytes(32).toString('base64')}`;
const JWT_SECRET = 'identities-jwt-secret-0123456789';
const USER_PASSWORD = 'correct horse battery staple';
// Each appears in no answer, log line, event, error or plaintext column.
const SMTP_PASSWORD = 'smtp-pass-never-shown-7f3e91';
const WRONG_PASSWORD = 'wrong-smtp-pass-never-shown-42aa';
const OWN_ADDRESS = 'ada@own-mail.example';

let herald: LoggedHerald;
let infra: Infrastructure;
let app: Express;
let own: SmtpSink;
/** Every answer body of the run, as text. */
const answers: string[] = [];

beforeAll(async () => {
  own = await startSmtpSink({ credentials: { user: OWN_ADDRESS, pass: SMTP_PASSWORD } });
  herald = await startLoggedHerald({
    HERALD_ADMIN_KEY: ADMIN_KEY,
    JWT_SECRET,
    MAIL_FROM: 'Herald <herald@herald.test>',
    // k1 seals; k2 is known so that a rotation to it (below) keeps this process working.
    CREDENTIALS_KEYS: `${KEY_1},${KEY_2}`,
    SMTP_ALLOW_PRIVATE_HOSTS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    RETRY_BASE_DELAY_MS: '20',
  });
  infra = herald.infra;
  app = createApiApp(infra, createServices(infra));
});

afterAll(async () => {
  await herald.close();
  await own.close();
});

/** Sends a request to `target` (the main app by default) and keeps its answer for the secrecy check. */
async function call(method: 'get' | 'post' | 'patch' | 'delete', path: string, auth: string, body?: object, target: Express = app) {
  let req = request(target)[method](path).set('Authorization', auth);
  if (body !== undefined) req = req.send(body);
  const res = await req;
  answers.push(res.text);
  return res;
}

let counter = 0;
/** A verified user made by the admin, logged in. */
async function user(label: string, email?: string): Promise<{ id: string; email: string; auth: string }> {
  counter += 1;
  const username = `${label}${counter}`;
  const address = email ?? `${username}@users.example.com`;
  const created = await call('post', '/api/admin/users', adminBearer, { username, email: address, password: USER_PASSWORD, display_name: `${label} person`, verified: true });
  expect(created.status).toBe(201);
  const login = await request(app).post('/api/auth/login').send({ login: username, password: USER_PASSWORD }).expect(200);
  return { id: created.body.id as string, email: address, auth: bearer(login.body.access_token as string) };
}

function smtpOf(sink: SmtpSink, password = SMTP_PASSWORD) {
  const port = Number(new URL(sink.url).port);
  return { host: '127.0.0.1', port, security: 'none', username: OWN_ADDRESS, password };
}

async function send(auth: string, body: Record<string, unknown>): Promise<string> {
  const res = await call('post', '/api/notify', auth, { to: 'customer@client.example', subject: 'Your quote', text: 'Attached.', ...body });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function finalStatus(id: string): Promise<string> {
  return waitUntil(
    async () => {
      const row = await infra.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      return ['sent', 'failed'].includes(row.status) ? row.status : undefined;
    },
    { what: `message ${id} to be sent or failed` },
  );
}

function attemptsOf(id: string) {
  return infra.db.selectFrom('delivery_attempts').select(['provider', 'identity_id', 'outcome', 'error']).where('message_id', '=', id).orderBy('id').execute();
}

function arrived(sink: SmtpSink, subject: string): Promise<SinkMessage> {
  return waitUntil(() => sink.messages.find((m) => m.parsed.subject === subject), { what: `a mail "${subject}"` });
}

describe('the From rule', () => {
  it('a user sends as its account email by default; any address outside its identities is 403 sender-not-allowed', async () => {
    const ada = await user('fromrule');
    const me = await call('get', '/api/me', ada.auth);
    expect(me.body.identities).toEqual([expect.objectContaining({ address: ada.email, is_default: true, verified: true, smtp: null })]);
    const refused = await call('post', '/api/notify', ada.auth, { to: 'x@client.example', subject: 's', text: 't', from: 'ceo@users.example.com' });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('https://herald.dev/problems/sender-not-allowed');
    const id = await send(ada.auth, { subject: 'as the account' });
    expect(await finalStatus(id)).toBe('sent');
    const mail = await arrived(herald.sink, 'as the account');
    expect(mail.parsed.from?.value[0]).toEqual({ name: 'fromrule person via Herald', address: 'herald@herald.test' });
    expect(mail.parsed.replyTo?.value[0]?.address).toBe(ada.email);
  });

  it('an identity not yet verified is 403 as From, and can be verified by the code mailed to it', async () => {
    const ada = await user('coded');
    const created = await call('post', '/api/me/identities', ada.auth, { address: 'sales@coded.example', display_name: 'Sales' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ address: 'sales@coded.example', verified: false, is_default: false, smtp: null });
    const refused = await call('post', '/api/notify', ada.auth, { to: 'x@client.example', subject: 's', text: 't', from: 'sales@coded.example' });
    expect(refused.status).toBe(403);
    const mail = await waitUntil(() => herald.sink.messages.find((m) => m.envelope.rcptTo.includes('sales@coded.example')), { what: 'the code mail' });
    const code = /paste this code: ([A-Z0-9]+)/.exec(mail.parsed.text ?? '')?.[1] ?? 'missing';
    expect((await call('post', `/api/me/identities/${created.body.id as string}/verify`, ada.auth, { code: 'WRONG0' })).status).toBe(422);
    const verified = await call('post', `/api/me/identities/${created.body.id as string}/verify`, ada.auth, { code: code.toLowerCase() });
    expect(verified.status).toBe(200);
    expect(verified.body.verified).toBe(true);
    const id = await send(ada.auth, { subject: 'as sales', from: 'sales@coded.example' });
    expect(await finalStatus(id)).toBe('sent');
    const sent = await arrived(herald.sink, 'as sales');
    // No SMTP of its own and a domain the operator did not authenticate: the "via Herald" form.
    expect(sent.parsed.from?.value[0]).toEqual({ name: 'Sales via Herald', address: 'herald@herald.test' });
    expect(sent.parsed.replyTo?.value[0]?.address).toBe('sales@coded.example');
    const row = await infra.db.selectFrom('messages').select('identity_id').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.identity_id).toBe(created.body.id);
  });
});

describe('an identity with its own SMTP server', () => {
  let ada: { id: string; email: string; auth: string };
  let identityId: string;

  beforeAll(async () => {
    ada = await user('own');
    const created = await call('post', '/api/me/identities', ada.auth, { address: OWN_ADDRESS, display_name: 'Ada Own', smtp: smtpOf(own) });
    expect(created.status).toBe(201);
    identityId = created.body.id as string;
  });

  it('answers the settings with password_set, never the password, and stores only ciphertext', async () => {
    const listed = await call('get', '/api/me/identities', ada.auth);
    const identity = (listed.body.results as { id: string }[]).find((entry) => entry.id === identityId);
    expect(identity).toMatchObject({ address: OWN_ADDRESS, verified: false, smtp: { host: '127.0.0.1', security: 'none', username: OWN_ADDRESS, password_set: true } });
    expect(JSON.stringify(identity)).not.toContain('"password"');
    const row = await sql<{ text: string; key_id: string }>`select t::text as text, key_id from sender_identities t where id = ${identityId}`.execute(infra.db);
    expect(row.rows[0]?.key_id).toBe('k1');
    expect(row.rows[0]?.text).not.toContain(SMTP_PASSWORD);
  });

  it('the check connects and logs in: {ok, error_class, detail}, and verifies the identity', async () => {
    const checked = await call('post', `/api/me/identities/${identityId}/check`, ada.auth);
    expect(checked.status).toBe(200);
    expect(checked.body).toEqual({ ok: true, error_class: null, detail: expect.any(String) });
    const after = await call('get', `/api/me/identities/${identityId}`, ada.auth);
    expect(after.body).toMatchObject({ verified: true, last_check: { ok: true, error_class: null } });
  });

  it('a wrong password checks as auth, with no secret in the answer', async () => {
    const other = await call('post', '/api/me/identities', ada.auth, { address: 'wrong@own-mail.example', smtp: smtpOf(own, WRONG_PASSWORD) });
    const checked = await call('post', `/api/me/identities/${other.body.id as string}/check`, ada.auth);
    expect(checked.body).toMatchObject({ ok: false, error_class: 'auth' });
    expect(checked.text).not.toContain(WRONG_PASSWORD);
    const stillUnverified = await call('get', `/api/me/identities/${other.body.id as string}`, ada.auth);
    expect(stillUnverified.body.verified).toBe(false);
    expect((await call('delete', `/api/me/identities/${other.body.id as string}`, ada.auth)).status).toBe(204);
  });

  it('delivers through its own server, logged in with its credentials, From the identity', async () => {
    const id = await send(ada.auth, { subject: 'through my own server', from: OWN_ADDRESS });
    expect(await finalStatus(id)).toBe('sent');
    const mail = await arrived(own, 'through my own server');
    expect(mail.user).toBe(OWN_ADDRESS);
    expect(mail.parsed.from?.value[0]).toEqual({ name: 'Ada Own', address: OWN_ADDRESS });
    expect(herald.sink.messages.find((m) => m.parsed.subject === 'through my own server')).toBeUndefined();
    expect(await attemptsOf(id)).toEqual([{ provider: 'smtp:identity', identity_id: identityId, outcome: 'sent', error: null }]);
    const row = await infra.db.selectFrom('messages').select(['provider', 'identity_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ provider: 'smtp:identity', identity_id: identityId });
  });

  it('as the default identity, it is the From of a send that names none', async () => {
    const patched = await call('patch', `/api/me/identities/${identityId}`, ada.auth, { is_default: true });
    expect(patched.status).toBe(200);
    expect(patched.body.is_default).toBe(true);
    const id = await send(ada.auth, { subject: 'by default' });
    expect(await finalStatus(id)).toBe('sent');
    expect((await arrived(own, 'by default')).parsed.from?.value[0]?.address).toBe(OWN_ADDRESS);
  });

  it('herald credentials rotate re-seals every password and webhook secret under the first key; the identity keeps working', async () => {
    const endpoint = await call('post', '/api/webhooks', adminBearer, { url: 'http://127.0.0.1:9/hook' });
    expect(endpoint.status).toBe(201);
    const env = {
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'silent',
      DATABASE_URL: herald.database.url,
      REDIS_URL: infra.config.redisUrl,
      QUEUE_PREFIX: infra.config.queuePrefix,
      CREDENTIALS_KEYS: `${KEY_2},${KEY_1}`,
    };
    const [rotated, withoutKeys] = await Promise.all([runHerald(['credentials', 'rotate'], env, 90_000), runHerald(['credentials', 'rotate'], { ...env, CREDENTIALS_KEYS: '' }, 90_000)]);
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    expect(rotated.stdout).toMatch(/re-encrypted under key "k2": [1-9]\d* identity SMTP password\(s\), [1-9]\d* webhook endpoint\(s\)/);
    expect(withoutKeys.code).toBe(2);
    expect(withoutKeys.stderr).toContain('CREDENTIALS_KEYS');
    const keys = await infra.db.selectFrom('sender_identities').select('key_id').where('key_id', 'is not', null).execute();
    expect(new Set(keys.map((row) => row.key_id))).toEqual(new Set(['k2']));
    const hooks = await infra.db.selectFrom('webhook_endpoints').selectAll().execute();
    expect(new Set(hooks.map((row) => row.secret_key_id))).toEqual(new Set(['k2']));
    // The webhook secret still opens, and is the one the endpoint was given.
    const hook = hooks.find((row) => row.id === endpoint.body.id);
    expect(hook === undefined ? [] : new WebhookSecrets(infra.config).signingSecrets(hook)).toEqual([endpoint.body.secret]);
    expect((await call('post', `/api/me/identities/${identityId}/check`, ada.auth)).body.ok).toBe(true);
    const id = await send(ada.auth, { subject: 'after the rotation', from: OWN_ADDRESS });
    expect(await finalStatus(id)).toBe('sent');
    expect((await arrived(own, 'after the rotation')).user).toBe(OWN_ADDRESS);
  }, 120_000);

  it('with its server down, the default chain delivers with the "via Herald" From and Reply-To the identity; both tries are recorded', async () => {
    await own.close();
    const id = await send(ada.auth, { subject: 'server down', from: OWN_ADDRESS });
    expect(await finalStatus(id)).toBe('sent');
    const mail = await arrived(herald.sink, 'server down');
    expect(mail.parsed.from?.value[0]).toEqual({ name: 'Ada Own via Herald', address: 'herald@herald.test' });
    expect(mail.parsed.replyTo?.value[0]?.address).toBe(OWN_ADDRESS);
    const attempts = await attemptsOf(id);
    expect(attempts).toEqual([
      expect.objectContaining({ provider: 'smtp:identity', identity_id: identityId, outcome: 'transient' }),
      { provider: 'smtp', identity_id: identityId, outcome: 'sent', error: null },
    ]);
    const detail = await call('get', `/api/notify/${id}`, ada.auth);
    expect(detail.body.attempts.map((a: { provider: string; identity_id: string }) => [a.provider, a.identity_id])).toEqual([
      ['smtp:identity', identityId],
      ['smtp', identityId],
    ]);
  });
});

describe('the guards', () => {
  it('without SMTP_ALLOW_PRIVATE_HOSTS, 127.0.0.1 and ports other than 25, 465, 587, 2525 are refused when saved, checked and sent', async () => {
    const strict = createApiApp(infra, createServices({ ...infra, config: { ...infra.config, smtpAllowPrivateHosts: false } }));
    const ada = await user('strict');
    const loopback = await call('post', '/api/me/identities', ada.auth, { address: 'a@strict.example', smtp: { ...smtpOf(herald.sink), port: 587, security: 'starttls' } }, strict);
    expect(loopback.status).toBe(422);
    expect(loopback.body.errors).toEqual([expect.objectContaining({ field: 'smtp.host' })]);
    const badPort = await call('post', '/api/me/identities', ada.auth, { address: 'a@strict.example', smtp: { ...smtpOf(herald.sink), host: '93.184.216.34', port: 2526, security: 'tls' } }, strict);
    expect(badPort.body.errors).toEqual([expect.objectContaining({ field: 'smtp.port' })]);
    const plain = await call('post', '/api/me/identities', ada.auth, { address: 'a@strict.example', smtp: { ...smtpOf(herald.sink), host: '93.184.216.34', port: 587 } }, strict);
    expect(plain.body.errors).toEqual([expect.objectContaining({ field: 'smtp.security' })]);
    // Saved where private hosts are allowed, then checked by a process where they are not.
    const saved = await call('post', '/api/me/identities', ada.auth, { address: 'b@strict.example', smtp: smtpOf(herald.sink) });
    const checked = await call('post', `/api/me/identities/${saved.body.id as string}/check`, ada.auth, undefined, strict);
    expect(checked.body).toMatchObject({ ok: false, error_class: 'unsafe-address' });
    const transports = new IdentityTransports({ allowPrivate: false });
    const smtp = { ...smtpOf(herald.sink), security: 'none' as const };
    const sending = transports.send({ id: saved.body.id as string, version: '1', smtp }, { messageId: '<x@t>', from: 'b@strict.example', to: ['c@client.example'], cc: [], bcc: [], subject: 's', tags: [], metadata: {} });
    await expect(sending).rejects.toBeInstanceOf(ProviderError);
    await expect(sending).rejects.toMatchObject({ kind: 'misconfigured', message: expect.stringMatching(/^unsafe-address/) });
    await transports.close();
  });

  it('without CREDENTIALS_KEYS, saving SMTP credentials is 503 naming the variable', async () => {
    const keyless = createApiApp(infra, createServices({ ...infra, config: { ...infra.config, credentialsKeys: undefined } }));
    const ada = await user('keyless');
    const res = await call('post', '/api/me/identities', ada.auth, { address: 'k@keyless.example', smtp: smtpOf(herald.sink) }, keyless);
    expect(res.status).toBe(503);
    expect(res.body.variable).toBe('CREDENTIALS_KEYS');
    // Without SMTP an identity needs no key.
    expect((await call('post', '/api/me/identities', ada.auth, { address: 'k@keyless.example' }, keyless)).status).toBe(201);
  });
});

describe('admin', () => {
  it('manages a user’s identities under /api/admin/users/:id/identities, and may create them verified', async () => {
    const bob = await user('adminned');
    const base = `/api/admin/users/${bob.id}/identities`;
    const created = await call('post', base, adminBearer, { address: 'desk@adminned.example', display_name: 'Desk', verified: true, smtp: smtpOf(herald.sink) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ verified: true, smtp: { password_set: true } });
    const listed = await call('get', base, adminBearer);
    expect((listed.body.results as { address: string }[]).map((entry) => entry.address)).toEqual([bob.email, 'desk@adminned.example']);
    const unverified = await call('patch', `${base}/${created.body.id as string}`, adminBearer, { verified: false });
    expect(unverified.body.verified).toBe(false);
    expect((await call('patch', `/api/me/identities/${created.body.id as string}`, bob.auth, { verified: true })).status).toBe(422);
    // A new host needs the password again.
    const noPassword = await call('patch', `${base}/${created.body.id as string}`, adminBearer, { smtp: { host: 'localhost' } });
    expect(noPassword.body.errors).toEqual([expect.objectContaining({ field: 'smtp.password' })]);
    expect((await call('post', `${base}/${created.body.id as string}/check`, adminBearer)).body.ok).toBe(true);
    expect((await call('get', base, bob.auth)).status).toBe(403);
    const account = (listed.body.results as { id: string; address: string }[])[0];
    expect((await call('delete', `${base}/${account?.id ?? ''}`, adminBearer)).status).toBe(409);
    expect((await call('delete', `${base}/${created.body.id as string}`, adminBearer)).status).toBe(204);
  });
});

describe('accepting drafts of different shapes together', () => {
  it('a system mail and a user’s send in one call each keep all their columns', async () => {
    const { acceptMessages } = await import('../../services/lifecycle/accept');
    const ada = await user('mixed');
    const stamp = `${Date.now()}`;
    const system = { kind: 'system' as const, client_id: 'system', idempotency_key: `mixed-sys-${stamp}`, request_hash: 'h1', to: ['x@client.example'], subject: 's', text_body: 't', html_body: null, metadata: '{}', tags: [] };
    const own = {
      ...system,
      kind: 'notification' as const,
      client_id: `user:${ada.id}`,
      idempotency_key: `mixed-user-${stamp}`,
      cc: ['cc@client.example'],
      bcc: [],
      user_id: ada.id,
      identity_id: null,
      from_address: '"Ada" <ada@own.example>',
      reply_to: null,
      send_at: '2100-01-01T00:00:00.000Z',
    };
    const { rows } = await acceptMessages(infra.db, [system, own]);
    expect(rows).toHaveLength(2);
    const stored = await infra.db.selectFrom('messages').select(['cc', 'user_id', 'from_address']).where('idempotency_key', '=', own.idempotency_key).executeTakeFirstOrThrow();
    expect(stored).toEqual({ cc: ['cc@client.example'], user_id: ada.id, from_address: '"Ada" <ada@own.example>' });
  });
});

describe('secrecy (last: it reads what the whole run wrote)', () => {
  it('no password or key appears in any answer, log line, event, attempt or message row of the whole run', async () => {
    const secrets = { 'SMTP password': SMTP_PASSWORD, 'wrong SMTP password': WRONG_PASSWORD, 'key 1': KEY_1.slice(3), 'key 2': KEY_2.slice(3) };
    const log = herald.lines.join('');
    const body = answers.join('\n');
    // The run did happen: identities were answered and their sends logged.
    expect(body).toContain('"password_set":true');
    expect(log).toContain('smtp:identity');
    const stored = await sql<{ text: string }>`
      select string_agg(t::text, ' ') as text from (
        select s::text from sender_identities s union all select e::text from message_events e
        union all select a::text from delivery_attempts a union all select m::text from messages m
      ) as t`.execute(infra.db);
    for (const [what, secret] of Object.entries(secrets)) {
      expect({ what, inLog: log.includes(secret), inAnswers: body.includes(secret), inTables: (stored.rows[0]?.text ?? '').includes(secret) }).toEqual({
        what,
        inLog: false,
        inAnswers: false,
        inTables: false,
      });
    }
  });
});

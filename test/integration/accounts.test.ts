import { sql } from 'kysely';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer, bearer, notification, signJwt } from '../support/fixtures';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// accounts.md, users and sessions: every route, against a real database, Redis and SMTP server.

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    MAIL_FROM: 'Herald <herald@herald.test>',
    REGISTRATION: 'open',
    PUBLIC_URL: 'https://herald.example.org/',
    RETRY_BASE_DELAY_MS: '20',
  });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

const PASSWORD = 'correct horse battery staple';
let counter = 0;

/** A fresh username and address per call, so tests own their users. */
function newPerson(label: string) {
  counter += 1;
  const username = `${label}${counter}-${process.pid}`.slice(0, 32);
  return { username, email: `${username}@users.example.com`, password: PASSWORD };
}

interface Session {
  readonly user: { id: string; username: string; email: string; verified: boolean; role: string };
  readonly access_token: string;
  readonly refresh_token: string;
}

async function register(label: string, extra: Record<string, unknown> = {}): Promise<Session & { password: string }> {
  const person = { ...newPerson(label), ...extra };
  const res = await request(t.app).post('/api/auth/register').send(person).expect(201);
  return { ...(res.body as Session), password: String(person.password) };
}

function mailTo(address: string): Promise<SinkMessage> {
  return waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes(address)), { what: `a mail to ${address}` });
}

/** The code printed in a verification mail. */
function codeIn(mail: SinkMessage): string {
  const code = /paste this code: ([A-Z0-9]+)/.exec(mail.parsed.text ?? '')?.[1];
  if (code === undefined) throw new Error(`no code in ${mail.parsed.text}`);
  return code;
}

async function verified(label: string): Promise<Session & { password: string }> {
  const session = await register(label);
  const code = codeIn(await mailTo(session.user.email));
  await request(t.app).post('/api/auth/verify').send({ token: code }).expect(200);
  return session;
}

describe('register', () => {
  it('answers the user and a token pair, and mails a code through the pipeline as a system message', async () => {
    const person = newPerson('reg');
    const res = await request(t.app).post('/api/auth/register').send({ ...person, display_name: 'Grace H' }).expect(201);
    expect(res.body).toMatchObject({
      user: { username: person.username, email: person.email, display_name: 'Grace H', role: 'user', verified: false },
      token_type: 'Bearer',
      expires_in: 3600,
    });
    expect(typeof res.body.access_token).toBe('string');
    expect(typeof res.body.refresh_token).toBe('string');
    expect(JSON.stringify(res.body)).not.toContain('password');
    const mail = await mailTo(person.email);
    expect(mail.parsed.from?.value[0]).toEqual({ name: 'Herald', address: 'herald@herald.test' });
    expect(mail.parsed.text).toContain(`https://herald.example.org/verify?token=${codeIn(mail)}`);
    const row = () => t.database.db.selectFrom('messages').select(['kind', 'client_id', 'status']).where(sql<boolean>`${person.email} = any("to")`).executeTakeFirstOrThrow();
    await waitUntil(async () => (await row()).status === 'sent', { what: 'the verification mail to be sent' });
    expect(await row()).toEqual({ kind: 'system', client_id: 'system', status: 'sent' });
    const stored = await t.database.db.selectFrom('users').select('password_hash').where('id', '=', res.body.user.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(stored.password_hash).not.toContain(PASSWORD);
  });

  it('409 when the username or the email is taken, in any case', async () => {
    const first = await register('dup');
    const other = newPerson('dup');
    const byName = await request(t.app).post('/api/auth/register').send({ ...other, username: first.user.username.toUpperCase() }).expect(409);
    expect(byName.body.detail).toMatch(/username/);
    const byEmail = await request(t.app).post('/api/auth/register').send({ ...other, email: first.user.email.toUpperCase() }).expect(409);
    expect(byEmail.body.detail).toMatch(/email/);
  });

  it.each([
    ['too short', 'x7#Qa'],
    ['common', 'password123'],
    ['weak', 'aaaaaaaaaa'],
  ])('422 naming password for a %s password', async (_what, password) => {
    const res = await request(t.app).post('/api/auth/register').send({ ...newPerson('weak'), password }).expect(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
  });

  it('422 for a password equal to the username', async () => {
    const person = newPerson('same');
    const res = await request(t.app).post('/api/auth/register').send({ ...person, password: person.username }).expect(422);
    expect(res.body.errors[0].field).toBe('password');
  });

  it('422 for a bad username or email', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ username: '-x', email: 'nope', password: PASSWORD }).expect(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'username']);
  });
});

describe('verify', () => {
  it('the code from the mail verifies once; the user can then send', async () => {
    const session = await register('ver');
    const code = codeIn(await mailTo(session.user.email));
    const auth = bearer(session.access_token);
    const before = await request(t.app).post('/api/notify').set('Authorization', auth).send(notification).expect(403);
    expect(before.body.type).toBe('https://herald.dev/problems/email-not-verified');
    await request(t.app).post('/api/auth/verify').send({ token: code.toLowerCase() }).expect(200, { verified: true });
    await request(t.app).post('/api/auth/verify').send({ token: code }).expect(422);
    expect((await request(t.app).get('/api/me').set('Authorization', auth).expect(200)).body.verified).toBe(true);
    // The standing is cached for up to 5 s.
    await waitUntil(async () => (await request(t.app).post('/api/notify').set('Authorization', auth).send(notification)).status === 202, {
      what: 'the verified user to send',
    });
  });

  it('GET /verify shows a button and verifies nothing; its form post verifies', async () => {
    const session = await register('page');
    const code = codeIn(await mailTo(session.user.email));
    const page = await request(t.app).get(`/verify?token=${code}`).expect(200);
    expect(page.text).toContain('<form method="post" action="/verify">');
    expect(page.text).toContain(`value="${code}"`);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    const standing = () => t.database.db.selectFrom('users').select('email_verified_at').where('id', '=', session.user.id).executeTakeFirstOrThrow();
    expect((await standing()).email_verified_at).toBeNull();
    await request(t.app).post('/verify').type('form').send({ token: code }).expect(200);
    expect((await standing()).email_verified_at).not.toBeNull();
  });

  it('an unknown code is 422 naming token', async () => {
    const res = await request(t.app).post('/api/auth/verify').send({ token: 'NOTACODE22' }).expect(422);
    expect(res.body.errors).toEqual([{ field: 'token', message: 'is unknown, used or expired' }]);
  });

  it('resend mails a new code that works; a verified user gets 409', async () => {
    const session = await register('resend');
    await mailTo(session.user.email);
    const auth = bearer(session.access_token);
    await request(t.app).post('/api/auth/verify/resend').set('Authorization', auth).expect(202);
    const mails = await waitUntil(() => {
      const to = sink.messages.filter((m) => m.envelope.rcptTo.includes(session.user.email));
      return to.length >= 2 ? to : undefined;
    });
    await request(t.app).post('/api/auth/verify').send({ token: codeIn(mails[1] as SinkMessage) }).expect(200);
    await waitUntil(async () => (await request(t.app).post('/api/auth/verify/resend').set('Authorization', auth)).status === 409);
  });

  it('resend is rate-limited: 429 with Retry-After', async () => {
    const session = await register('limit');
    const auth = bearer(session.access_token);
    for (let i = 0; i < 3; i += 1) await request(t.app).post('/api/auth/verify/resend').set('Authorization', auth).expect(202);
    const res = await request(t.app).post('/api/auth/verify/resend').set('Authorization', auth).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('login', () => {
  it('by username or email, any case, answers a token pair that works', async () => {
    const session = await register('login');
    for (const login of [session.user.username, session.user.email.toUpperCase()]) {
      const res = await request(t.app).post('/api/auth/login').send({ login, password: PASSWORD }).expect(200);
      expect(res.body.user.id).toBe(session.user.id);
      const me = await request(t.app).get('/api/me').set('Authorization', bearer(res.body.access_token)).expect(200);
      expect(me.body.username).toBe(session.user.username);
    }
  });

  it('unknown user and wrong password: the same 401, in about the same time', async () => {
    const session = await register('timing');
    const time = async (login: string) => {
      const started = performance.now();
      const res = await request(t.app).post('/api/auth/login').send({ login, password: 'Wrong-password-42' }).expect(401);
      return { ms: performance.now() - started, body: { title: res.body.title, detail: res.body.detail } };
    };
    await time(`nobody-${process.pid}`); // the decoy hash is made on first use
    const wrong = await time(session.user.username);
    const unknown = await time(`nobody-else-${process.pid}`);
    expect(unknown.body).toEqual(wrong.body);
    // Both check a scrypt hash at the same cost: neither answers in a fraction of the other's time.
    expect(unknown.ms).toBeGreaterThan(wrong.ms / 3);
    expect(wrong.ms).toBeGreaterThan(unknown.ms / 3);
  });

  it('429 with Retry-After after 10 failures for one account, even with the right password', async () => {
    const session = await register('throttle');
    for (let i = 0; i < 10; i += 1) {
      await request(t.app).post('/api/auth/login').send({ login: session.user.username, password: 'Wrong-password-42' }).expect(401);
    }
    const res = await request(t.app).post('/api/auth/login').send({ login: session.user.username, password: PASSWORD }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(800);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('refresh and logout', () => {
  it('rotates: the new pair works, the old refresh token is used up', async () => {
    const session = await register('rotate');
    const first = await request(t.app).post('/api/auth/refresh').send({ refresh_token: session.refresh_token }).expect(200);
    expect(first.body.refresh_token).not.toBe(session.refresh_token);
    await request(t.app).get('/api/me').set('Authorization', bearer(first.body.access_token)).expect(200);
    const second = await request(t.app).post('/api/auth/refresh').send({ refresh_token: first.body.refresh_token }).expect(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('a used token presented again revokes its whole family', async () => {
    const session = await register('stolen');
    const next = await request(t.app).post('/api/auth/refresh').send({ refresh_token: session.refresh_token }).expect(200);
    const reuse = await request(t.app).post('/api/auth/refresh').send({ refresh_token: session.refresh_token }).expect(401);
    expect(reuse.body.detail).toMatch(/already used/);
    // The thief's copy and the owner's newer token are both dead now.
    await request(t.app).post('/api/auth/refresh').send({ refresh_token: next.body.refresh_token }).expect(401);
    const rows = await t.database.db.selectFrom('user_sessions').select('revoked_at').where('user_id', '=', session.user.id).execute();
    expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
  });

  it('an unknown token is 401; refresh tokens are stored hashed', async () => {
    await request(t.app).post('/api/auth/refresh').send({ refresh_token: 'not-a-token' }).expect(401);
    const session = await register('hashed');
    const stored = await t.database.db.selectFrom('user_sessions').select('token_hash').where('user_id', '=', session.user.id).execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(session.refresh_token);
  });

  it('logout revokes the family: 204, then the refresh token is refused', async () => {
    const session = await register('logout');
    await request(t.app).post('/api/auth/logout').set('Authorization', bearer(session.access_token)).send({ refresh_token: session.refresh_token }).expect(204);
    await request(t.app).post('/api/auth/refresh').send({ refresh_token: session.refresh_token }).expect(401);
  });
});

describe('the console session cookie (console.md)', () => {
  const ORIGIN = 'https://herald.example.org';
  const cookieOf = (res: request.Response) => {
    const header = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    return header.find((c) => c.startsWith('herald_refresh='));
  };
  const valueOf = (cookie: string | undefined) => (cookie ?? '').split(';')[0] ?? '';

  it('a cookie:true login keeps the refresh token out of the body, in an HttpOnly SameSite=Strict cookie for /api/auth', async () => {
    const person = await register('cookie');
    const res = await request(t.app).post('/api/auth/login').send({ login: person.user.username, password: person.password, cookie: true }).expect(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.access_token).toEqual(expect.any(String));
    expect(res.body.user.username).toBe(person.user.username);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/api\/auth(;|$)/);
    // On localhost (this test's 127.0.0.1) it cannot be Secure over plain http; anywhere else it is.
    expect(cookie).not.toMatch(/Secure/);
    const remote = await request(t.app).post('/api/auth/login').set('Host', 'herald.example.org').send({ login: person.user.username, password: person.password, cookie: true }).expect(200);
    expect(cookieOf(remote)).toMatch(/; Secure/);
    // Without cookie:true the answer is as before, and sets no cookie.
    const plain = await request(t.app).post('/api/auth/login').send({ login: person.user.username, password: person.password }).expect(200);
    expect(plain.body.refresh_token).toEqual(expect.any(String));
    expect(cookieOf(plain)).toBeUndefined();
  });

  it('refresh with the cookie rotates it, from this origin only; another origin or none is 403', async () => {
    const person = await register('cookieref');
    const login = await request(t.app).post('/api/auth/login').send({ login: person.user.username, password: person.password, cookie: true }).expect(200);
    const first = valueOf(cookieOf(login));
    const foreign = await request(t.app).post('/api/auth/refresh').set('Cookie', first).set('Origin', 'https://evil.example').send({}).expect(403);
    expect(foreign.body.detail).toMatch(/own origin/);
    await request(t.app).post('/api/auth/refresh').set('Cookie', first).send({}).expect(403);
    const ok = await request(t.app).post('/api/auth/refresh').set('Cookie', first).set('Origin', ORIGIN).send({}).expect(200);
    expect(ok.body.refresh_token).toBeUndefined();
    await request(t.app).get('/api/me').set('Authorization', bearer(ok.body.access_token)).expect(200);
    const second = valueOf(cookieOf(ok));
    expect(second).not.toBe(first);
    // The used cookie again: the family is revoked, and the answer clears the cookie.
    const reuse = await request(t.app).post('/api/auth/refresh').set('Cookie', first).set('Origin', ORIGIN).send({}).expect(401);
    expect(cookieOf(reuse)).toMatch(/herald_refresh=;/);
    await request(t.app).post('/api/auth/refresh').set('Cookie', second).set('Origin', ORIGIN).send({}).expect(401);
  });

  it('the origin the request was sent to is its own origin too; without a cookie or a token refresh is 401', async () => {
    const person = await register('cookiehost');
    const login = await request(t.app).post('/api/auth/login').send({ login: person.user.username, password: person.password, cookie: true }).expect(200);
    await request(t.app).post('/api/auth/refresh').set('Host', 'herald.internal:8002').set('Origin', 'http://herald.internal:8002').set('Cookie', valueOf(cookieOf(login))).send({}).expect(200);
    const none = await request(t.app).post('/api/auth/refresh').set('Origin', ORIGIN).send({}).expect(401);
    expect(none.body.detail).toMatch(/sign in again/);
  });

  it('logout with the cookie ends the session and clears the cookie', async () => {
    const person = await register('cookieout');
    const login = await request(t.app).post('/api/auth/login').send({ login: person.user.username, password: person.password, cookie: true }).expect(200);
    const cookie = valueOf(cookieOf(login));
    const out = await request(t.app).post('/api/auth/logout').set('Authorization', bearer(login.body.access_token)).set('Cookie', cookie).set('Origin', ORIGIN).send({}).expect(204);
    expect(cookieOf(out)).toMatch(/herald_refresh=;.*Expires=Thu, 01 Jan 1970/);
    await request(t.app).post('/api/auth/refresh').set('Cookie', cookie).set('Origin', ORIGIN).send({}).expect(401);
  });

  it('GET /api/auth/options tells a sign-in page whether visitors may register', async () => {
    const res = await request(t.app).get('/api/auth/options').expect(200);
    expect(res.body).toEqual({ registration: 'open' });
  });
});

describe('/api/me', () => {
  it('shows the profile with the account email as the first identity and the 30-day count', async () => {
    const session = await verified('me');
    const auth = bearer(session.access_token);
    await waitUntil(async () => (await request(t.app).post('/api/notify').set('Authorization', auth).send(notification)).status === 202);
    const me = await request(t.app).get('/api/me').set('Authorization', auth).expect(200);
    expect(me.body).toMatchObject({
      id: session.user.id,
      verified: true,
      identities: [{ address: session.user.email, is_default: true, verified: true }],
      messages_sent_30d: 1,
    });
  });

  it('PATCH sets the display name', async () => {
    const session = await register('name');
    const res = await request(t.app).patch('/api/me').set('Authorization', bearer(session.access_token)).send({ display_name: 'Ada L' }).expect(200);
    expect(res.body.display_name).toBe('Ada L');
  });

  it('PATCH password needs the current one, and ends every session and older token', async () => {
    const session = await register('pw');
    const auth = bearer(session.access_token);
    const wrong = await request(t.app).patch('/api/me').set('Authorization', auth).send({ password: 'another fine passphrase 9', current_password: 'nope' }).expect(422);
    expect(wrong.body.errors[0].field).toBe('current_password');
    await request(t.app).patch('/api/me').set('Authorization', auth).send({ password: 'another fine passphrase 9', current_password: PASSWORD }).expect(200);
    await request(t.app).post('/api/auth/refresh').send({ refresh_token: session.refresh_token }).expect(401);
    await waitUntil(async () => (await request(t.app).get('/api/me').set('Authorization', auth)).status === 401, { timeoutMs: 15000, what: 'the old token to be refused' });
    await request(t.app).post('/api/auth/login').send({ login: session.user.username, password: PASSWORD }).expect(401);
    const again = await request(t.app).post('/api/auth/login').send({ login: session.user.username, password: 'another fine passphrase 9' }).expect(200);
    await request(t.app).get('/api/me').set('Authorization', bearer(again.body.access_token)).expect(200);
  });

  it('is for users: an API key gets 403, no credential 401', async () => {
    await request(t.app).get('/api/me').set('Authorization', adminBearer).expect(403);
    await request(t.app).get('/api/me').expect(401);
  });
});

describe('a user is a client of its own', () => {
  it('sees only its own messages; an admin sees them all', async () => {
    const alice = await verified('alice');
    const bob = await verified('bob');
    const send = (s: Session) =>
      waitUntil(async () => {
        const res = await request(t.app).post('/api/notify').set('Authorization', bearer(s.access_token)).set('Idempotency-Key', 'same-key').send(notification);
        return res.status === 202 ? (res.body.id as string) : undefined;
      });
    const aliceId = await send(alice);
    const bobId = await send(bob);
    // The same idempotency key is each user's own.
    expect(bobId).not.toBe(aliceId);
    await request(t.app).get(`/api/notify/${aliceId}`).set('Authorization', bearer(bob.access_token)).expect(404);
    await request(t.app).get(`/api/notify/${aliceId}`).set('Authorization', bearer(alice.access_token)).expect(200);
    await request(t.app).get(`/api/notify/${aliceId}`).set('Authorization', adminBearer).expect(200);
    const list = await request(t.app).get('/api/notify').set('Authorization', bearer(bob.access_token)).expect(200);
    expect(list.body.results.map((r: { id: string }) => r.id)).toEqual([bobId]);
    const row = await t.database.db.selectFrom('messages').select(['client_id', 'user_id']).where('id', '=', aliceId).executeTakeFirstOrThrow();
    expect(row).toEqual({ client_id: `user:${alice.user.id}`, user_id: alice.user.id });
  });

  it('sends as itself "via Herald" with Reply-To its address; another From is 403 sender-not-allowed', async () => {
    const carol = await verified('carol');
    const auth = bearer(carol.access_token);
    const id = await waitUntil(async () => {
      const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, to: 'carol-out@example.com', from: carol.user.email });
      return res.status === 202 ? (res.body.id as string) : undefined;
    });
    const mail = await mailTo('carol-out@example.com');
    expect(mail.parsed.from?.value[0]).toEqual({ name: `${carol.user.username} via Herald`, address: 'herald@herald.test' });
    expect(mail.parsed.replyTo?.value[0]?.address).toBe(carol.user.email);
    expect(id).toBeDefined();
    const res = await request(t.app).post('/api/notify').set('Authorization', auth).send({ ...notification, from: 'ceo@example.com' }).expect(403);
    expect(res.body.type).toBe('https://herald.dev/problems/sender-not-allowed');
  });

  it('a disabled user is refused within 15 s, and cannot log in', async () => {
    const dave = await verified('dave');
    const auth = bearer(dave.access_token);
    await request(t.app).get('/api/me').set('Authorization', auth).expect(200);
    await request(t.app).delete(`/api/admin/users/${dave.user.id}`).set('Authorization', adminBearer).expect(204);
    const started = Date.now();
    await waitUntil(async () => (await request(t.app).get('/api/me').set('Authorization', auth)).status === 401, { timeoutMs: 15000, what: 'the token to be refused' });
    expect(Date.now() - started).toBeLessThan(15000);
    await request(t.app).post('/api/auth/login').send({ login: dave.user.username, password: PASSWORD }).expect(401);
    await request(t.app).post('/api/auth/refresh').send({ refresh_token: dave.refresh_token }).expect(401);
  });

  it('a service JWT whose subject looks like a user stays a service client', async () => {
    const eve = await register('eve');
    const token = signJwt({ sub: `user:${eve.user.id}`, aud: 'herald', scope: 'messages:read', exp: Math.floor(Date.now() / 1000) + 60 });
    await request(t.app).get('/api/me').set('Authorization', bearer(token)).expect(403);
  });
});

describe('admin user management', () => {
  it('creates, lists, reads, changes and disables users; users may not', async () => {
    const person = newPerson('adm');
    const created = await request(t.app).post('/api/admin/users').set('Authorization', adminBearer).send({ ...person, role: 'admin', verified: true }).expect(201);
    expect(created.body).toMatchObject({ username: person.username, role: 'admin', verified: true, disabled: false });
    const id = created.body.id as string;
    const list = await request(t.app).get('/api/admin/users?page_size=100').set('Authorization', adminBearer).expect(200);
    expect(list.body.results.map((u: { id: string }) => u.id)).toContain(id);
    await request(t.app).get(`/api/admin/users/${id}`).set('Authorization', adminBearer).expect(200);
    const patched = await request(t.app).patch(`/api/admin/users/${id}`).set('Authorization', adminBearer).send({ role: 'user', verified: false }).expect(200);
    expect(patched.body).toMatchObject({ role: 'user', verified: false });
    await request(t.app).patch(`/api/admin/users/${id}`).set('Authorization', adminBearer).send({ password: 'short' }).expect(422);
    await request(t.app).patch(`/api/admin/users/${id}`).set('Authorization', adminBearer).send({ password: 'a brand new passphrase 7' }).expect(200);
    await request(t.app).post('/api/auth/login').send({ login: person.username, password: 'a brand new passphrase 7' }).expect(200);
    await request(t.app).delete(`/api/admin/users/${id}`).set('Authorization', adminBearer).expect(204);
    expect((await request(t.app).get(`/api/admin/users/${id}`).set('Authorization', adminBearer).expect(200)).body.disabled).toBe(true);
    await request(t.app).get('/api/admin/users/00000000-0000-0000-0000-000000000000').set('Authorization', adminBearer).expect(404);
    const user = await register('notadmin');
    await request(t.app).get('/api/admin/users').set('Authorization', bearer(user.access_token)).expect(403);
  });

  it('an admin user token carries admin: it sees every message', async () => {
    const person = newPerson('root');
    await request(t.app).post('/api/admin/users').set('Authorization', adminBearer).send({ ...person, role: 'admin', verified: true }).expect(201);
    const login = await request(t.app).post('/api/auth/login').send({ login: person.username, password: PASSWORD }).expect(200);
    await request(t.app).get('/api/admin/users').set('Authorization', bearer(login.body.access_token)).expect(200);
  });
});

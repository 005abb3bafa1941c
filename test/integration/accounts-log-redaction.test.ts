import request from 'supertest';
import { createApiApp, createServices, type Infrastructure } from '../../services/app';
import { type LoggedHerald, startLoggedHerald } from '../support/logged-herald';
import type { SmtpSink } from '../support/smtp-sink';
import { waitUntil } from '../support/wait';

// No password, token or verification code of an account's whole life reaches a log line, at any level.

const JWT_SECRET = 'accounts-jwt-secret-never-logged-5d1e';
const PASSWORD = 'first passphrase never logged 8c2f';
const NEW_PASSWORD = 'second passphrase never logged 0b7a';
const EMAIL = 'logged.never@accounts.example';

let sink: SmtpSink;
let infra: Infrastructure;
let lines: string[];

let herald: LoggedHerald;

beforeAll(async () => {
  herald = await startLoggedHerald({ JWT_SECRET, REGISTRATION: 'open' });
  ({ sink, infra, lines } = herald);
});

afterAll(async () => {
  await herald.close();
});

it('register, verify, log in, fail, refresh, reuse, change the password, log out: nothing secret is logged', async () => {
  const app = createApiApp(infra, createServices(infra));
  const registered = await request(app).post('/api/auth/register').send({ username: 'quiet', email: EMAIL, password: PASSWORD }).expect(201);
  const mail = await waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes(EMAIL)));
  const code = /paste this code: ([A-Z0-9]+)/.exec(mail.parsed.text ?? '')?.[1] ?? 'missing';
  await request(app).post('/api/auth/verify').send({ token: code }).expect(200);
  await request(app).post('/api/auth/login').send({ login: EMAIL, password: `${PASSWORD}x` }).expect(401);
  const login = await request(app).post('/api/auth/login').send({ login: 'quiet', password: PASSWORD }).expect(200);
  const refreshed = await request(app).post('/api/auth/refresh').send({ refresh_token: login.body.refresh_token }).expect(200);
  await request(app).post('/api/auth/refresh').send({ refresh_token: login.body.refresh_token }).expect(401);
  await request(app)
    .patch('/api/me')
    .set('Authorization', `Bearer ${refreshed.body.access_token as string}`)
    .send({ password: NEW_PASSWORD, current_password: PASSWORD })
    .expect(200);
  const again = await request(app).post('/api/auth/login').send({ login: 'quiet', password: NEW_PASSWORD }).expect(200);
  await request(app).post('/api/auth/logout').set('Authorization', `Bearer ${again.body.access_token as string}`).send({ refresh_token: again.body.refresh_token }).expect(204);

  const log = lines.join('');
  expect(log).toContain('refresh token reused');
  const secrets: Record<string, string> = {
    password: PASSWORD,
    'new password': NEW_PASSWORD,
    'verification code': code,
    'account email': EMAIL,
    'JWT secret': JWT_SECRET,
    'first access token': registered.body.access_token,
    'first refresh token': registered.body.refresh_token,
    'used refresh token': login.body.refresh_token,
    'rotated refresh token': refreshed.body.refresh_token,
    'last access token signature': (again.body.access_token as string).split('.')[2] ?? 'x',
  };
  for (const [what, secret] of Object.entries(secrets)) expect({ what, leaked: log.includes(secret) }).toEqual({ what, leaked: false });
});

import request from 'supertest';
import { adminBearer } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// What the account routes answer under the settings that gate them: REGISTRATION and JWT_SECRET.

const person = (name: string) => ({ username: name, email: `${name}@users.example.com`, password: 'correct horse battery staple' });

describe('REGISTRATION=closed (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses the public with 401 and a key without admin with 403', async () => {
    const res = await request(t.app).post('/api/auth/register').send(person('closed1')).expect(401);
    expect(res.body.detail).toMatch(/REGISTRATION=closed/);
    await request(t.app).post('/api/auth/register').set('Authorization', await t.bearerWith('notify:send')).send(person('closed2')).expect(403);
  });

  it('lets an admin register a user', async () => {
    const res = await request(t.app).post('/api/auth/register').set('Authorization', adminBearer).send(person('closed3')).expect(201);
    expect(res.body.user.username).toBe('closed3');
  });
});

describe('without JWT_SECRET', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: '', REGISTRATION: 'open' });
  });
  afterAll(() => t.close());

  it.each([
    ['/api/auth/register', person('nojwt')],
    ['/api/auth/login', { login: 'nojwt', password: 'whatever it is' }],
    ['/api/auth/refresh', { refresh_token: 'x' }],
  ])('%s answers 503 naming the variable', async (path, body) => {
    const res = await request(t.app).post(path).send(body).expect(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toContain('JWT_SECRET');
    expect(res.body.variable).toBe('JWT_SECRET');
  });
});

describe('the public account routes are limited per IP (CONTACT_RATE_LIMIT)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REGISTRATION: 'open', CONTACT_RATE_LIMIT: '2' });
  });
  afterAll(() => t.close());

  it('register: the third in a minute from one IP is 429 and mails nothing', async () => {
    await request(t.app).post('/api/auth/register').send(person('limited1')).expect(201);
    await request(t.app).post('/api/auth/register').send(person('limited2')).expect(201);
    const res = await request(t.app).post('/api/auth/register').send(person('limited3')).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const users = await t.database.db.selectFrom('users').select('username').execute();
    expect(users.map((u) => u.username).sort()).toEqual(['limited1', 'limited2']);
  });
});

import request from 'supertest';
import { ApiKeyService } from '../../services/auth/api-keys';
import { API_KEY_CACHE_MS, Authenticator } from '../../services/auth/authenticator';
import { createApiApp, createServices } from '../../services/app';
import { ADMIN_KEY, adminBearer, base64url, bearer, inAnHour, jwtClaims, notification, signJwt, unsignedJwt, visitor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

function expectProblem(res: request.Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
  if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
  else expect(res.headers['www-authenticate']).toBeUndefined();
}

describe('bearer credentials', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an empty bearer', 'Bearer '],
    ['a Basic credential', `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['an unknown API key', 'Bearer hrld_thisKeyDoesNotExist0123456789abcdef'],
    ['a random token', 'Bearer not-a-token'],
    ['the admin key with one character changed', `Bearer ${ADMIN_KEY.slice(0, -1)}X`],
  ])('answers 401 problem+json with %s', async (_name, header) => {
    const req = request(t.app).get('/api/notify');
    const res = header === undefined ? await req : await req.set('Authorization', header);
    expectProblem(res, 401);
  });

  it('answers 401 before looking at the body of a POST', async () => {
    const res = await request(t.app).post('/api/notify').set('Content-Type', 'application/json').send('{not json');
    expectProblem(res, 401);
  });

  it('answers 403 problem+json naming the missing scope', async () => {
    const reader = await t.bearerWith('messages:read');
    const res = await request(t.app).post('/api/notify').set('Authorization', reader).send(notification);
    expectProblem(res, 403);
    expect(res.body.required_scope).toBe('notify:send');
  });
});

describe('API key scopes', () => {
  it('notify:send can POST but cannot list or read', async () => {
    const sender = await t.bearerWith('notify:send');
    const created = await request(t.app).post('/api/notify').set('Authorization', sender).send(notification).expect(202);
    await request(t.app).post('/api/notify/batch').set('Authorization', sender).send({ items: [{ ...notification, idempotency_key: 'k1' }] }).expect(202);
    expectProblem(await request(t.app).get('/api/notify').set('Authorization', sender), 403);
    expectProblem(await request(t.app).get(`/api/notify/${created.body.id}`).set('Authorization', sender), 403);
    expectProblem(await request(t.app).get('/api/contact').set('Authorization', sender), 403);
  });

  it('messages:read can list but cannot POST', async () => {
    const reader = await t.bearerWith('messages:read');
    await request(t.app).get('/api/notify').set('Authorization', reader).expect(200);
    await request(t.app).get('/api/contact').set('Authorization', reader).expect(200);
    expectProblem(await request(t.app).post('/api/notify').set('Authorization', reader).send(notification), 403);
    expectProblem(await request(t.app).post('/api/notify/batch').set('Authorization', reader).send({ items: [] }), 403);
  });

  it('only admin may retry a message', async () => {
    const everything = await t.bearerWith('notify:send', 'messages:read');
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectProblem(await request(t.app).post(`/api/messages/${unknown}/retry`).set('Authorization', everything), 403);
    expectProblem(await request(t.app).post(`/api/messages/${unknown}/retry`).set('Authorization', adminBearer), 404);
  });

  it('accepts the scheme name in any case', async () => {
    const reader = await t.bearerWith('messages:read');
    await request(t.app).get('/api/notify').set('Authorization', reader.replace('Bearer', 'bearer')).expect(200);
  });

  it('stores only the SHA-256 of a key', async () => {
    const created = await new ApiKeyService(t.services.apiKeys).create('stored', ['notify:send']);
    const row = await t.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.row.id).executeTakeFirstOrThrow();
    expect(created.key).toMatch(/^hrld_/);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(created.key.startsWith(row.prefix)).toBe(true);
  });
});

describe('revoked API keys', () => {
  it('are rejected by an app that has not seen the key yet', async () => {
    const keys = new ApiKeyService(t.services.apiKeys);
    const created = await keys.create('to revoke', ['messages:read']);
    await request(t.app).get('/api/notify').set('Authorization', bearer(created.key)).expect(200);
    expect(await keys.revoke(created.row.id)).toBe(true);
    const fresh = createApiApp(t.infra, createServices(t.infra));
    expectProblem(await request(fresh).get('/api/notify').set('Authorization', bearer(created.key)), 401);
  });

  it(`stop working within API_KEY_CACHE_MS (${API_KEY_CACHE_MS} ms) on an app that cached them`, async () => {
    let clock = 1_000_000;
    const authenticator = new Authenticator(t.services.apiKeys, { now: () => clock });
    const keys = new ApiKeyService(t.services.apiKeys);
    const created = await keys.create('cached', ['messages:read']);
    await expect(authenticator.authenticate(bearer(created.key))).resolves.toMatchObject({ clientId: created.row.id, via: 'api-key' });
    await keys.revoke(created.row.id);
    clock += API_KEY_CACHE_MS + 1;
    await expect(authenticator.authenticate(bearer(created.key))).rejects.toMatchObject({ status: 401 });
  });

  it('cannot be revoked twice, and unknown ids are not revoked', async () => {
    const keys = new ApiKeyService(t.services.apiKeys);
    const created = await keys.create('twice', ['messages:read']);
    expect(await keys.revoke(created.row.id)).toBe(true);
    expect(await keys.revoke(created.row.id)).toBe(false);
    expect(await keys.revoke('00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await keys.revoke('not-a-uuid')).toBe(false);
  });
});

describe('JWT', () => {
  it('accepts HS256 with audience herald, exp and a scope claim', async () => {
    const jwtBearer = bearer(signJwt(jwtClaims()));
    const created = await request(t.app).post('/api/notify').set('Authorization', jwtBearer).send(notification).expect(202);
    const list = await request(t.app).get('/api/notify').set('Authorization', jwtBearer).expect(200);
    expect(list.body.results.map((r: { id: string }) => r.id)).toEqual([created.body.id]);
    const row = await t.database.db.selectFrom('messages').select('client_id').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.client_id).toBe('jwt:billing-service');
  });

  it('accepts the scope claim as a list', async () => {
    const jwtBearer = bearer(signJwt(jwtClaims({ scope: ['messages:read'] })));
    await request(t.app).get('/api/notify').set('Authorization', jwtBearer).expect(200);
    expectProblem(await request(t.app).post('/api/notify').set('Authorization', jwtBearer).send(notification), 403);
  });

  it('answers 403 when the scope claim lacks the scope', async () => {
    const jwtBearer = bearer(signJwt(jwtClaims({ scope: 'messages:read' })));
    expectProblem(await request(t.app).post('/api/notify').set('Authorization', jwtBearer).send(notification), 403);
  });

  const rejected: [string, () => string][] = [
    ['alg none', () => unsignedJwt(jwtClaims())],
    ['HS512 instead of HS256', () => signJwt(jwtClaims(), { algorithm: 'HS512' })],
    ['a wrong audience', () => signJwt(jwtClaims({ aud: 'someone-else' }))],
    ['no audience', () => signJwt({ sub: 'svc', scope: 'messages:read', exp: inAnHour() })],
    ['no exp', () => signJwt({ sub: 'billing-service', aud: 'herald', scope: 'notify:send messages:read' })],
    ['an expired exp', () => signJwt(jwtClaims({ exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['a wrong secret', () => signJwt(jwtClaims(), {}, 'another-secret-0123456789abcdef')],
    ['no sub', () => signJwt({ aud: 'herald', scope: 'messages:read', exp: inAnHour() })],
    ['a tampered payload', () => {
      const [header, , signature] = signJwt(jwtClaims({ scope: 'messages:read' })).split('.');
      return `${header}.${base64url(jwtClaims({ scope: 'admin' }))}.${signature}`;
    }],
  ];
  it.each(rejected)('answers 401 problem+json for a JWT with %s', async (_name, make) => {
    expectProblem(await request(t.app).get('/api/notify').set('Authorization', bearer(make())), 401);
  });
});

describe('HERALD_ADMIN_KEY', () => {
  it('holds every scope', async () => {
    const created = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send(notification).expect(202);
    await request(t.app).get('/api/notify').set('Authorization', adminBearer).expect(200);
    await request(t.app).get(`/api/notify/${created.body.id}`).set('Authorization', adminBearer).expect(200);
    await request(t.app).get('/api/contact').set('Authorization', adminBearer).expect(200);
    await request(t.app).post(`/api/notify/${created.body.id}/cancel`).set('Authorization', adminBearer).expect(200);
  });
});

describe('message visibility', () => {
  it('a client cannot read or list another client’s notification, but admin can', async () => {
    const alice = await t.bearerWith('notify:send', 'messages:read');
    const bob = await t.bearerWith('notify:send', 'messages:read');
    const created = await request(t.app).post('/api/notify').set('Authorization', alice).send(notification).expect(202);
    await request(t.app).get(`/api/notify/${created.body.id}`).set('Authorization', alice).expect(200);
    expectProblem(await request(t.app).get(`/api/notify/${created.body.id}`).set('Authorization', bob), 404);
    const bobsList = await request(t.app).get('/api/notify').set('Authorization', bob).expect(200);
    expect(bobsList.body.results.map((r: { id: string }) => r.id)).not.toContain(created.body.id);
    expectProblem(await request(t.app).post(`/api/notify/${created.body.id}/cancel`).set('Authorization', bob), 404);
    const asAdmin = await request(t.app).get(`/api/notify/${created.body.id}`).set('Authorization', adminBearer).expect(200);
    expect(asAdmin.body.id).toBe(created.body.id);
  });

  it('contact POST is public', async () => {
    await request(t.app).post('/api/contact').send(visitor).expect(202);
  });
});

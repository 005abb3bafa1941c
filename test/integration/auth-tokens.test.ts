import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { ApiKeyRepository } from '../../services/auth/api-key-repository';
import { ApiKeyService } from '../../services/auth/api-keys';
import { API_KEY_CACHE_MS, Authenticator } from '../../services/auth/authenticator';
import { createApiApp, createServices } from '../../services/app';
import { JWT_SECRET, startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'billing', aud: 'herald', scope: 'messages:read', exp: inAnHour(), ...extra });
const { privateKey: rsaPrivate } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Signs by hand, for claims jsonwebtoken refuses to produce. */
function handSigned(payload: object): string {
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${signingInput}.${createHmac('sha256', JWT_SECRET).update(signingInput).digest('base64url')}`;
}

function unsigned(payload: object): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

const read = (token: string) => request(t.app).get('/api/contact').set('Authorization', `Bearer ${token}`);

describe('JWTs', () => {
  it('accepts HS256 with audience herald, an exp and a sub (the control case)', async () => {
    await read(jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256' })).expect(200);
    await read(handSigned(claims())).expect(200);
  });

  const rejected: [string, () => string][] = [
    ['alg none without a signature', () => unsigned(claims())],
    ['alg none with a valid HS256 signature copied on', () => `${unsigned(claims())}${jwt.sign(claims(), JWT_SECRET).split('.')[2] ?? ''}`],
    ['alg header "None" in another case', () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims())}.`],
    ['HS256 header over an HS512 signature', () => {
      const real = jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS512' }).split('.');
      return `${b64({ alg: 'HS256', typ: 'JWT' })}.${real[1] ?? ''}.${real[2] ?? ''}`;
    }],
    ['HS512 with the right secret', () => jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS512' })],
    ['HS384 with the right secret', () => jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS384' })],
    ['RS256', () => jwt.sign(claims(), rsaPrivate, { algorithm: 'RS256' })],
    ['HS256 with another secret', () => jwt.sign(claims(), 'another-secret-0123456789abcdef', { algorithm: 'HS256' })],
    ['no exp claim', () => jwt.sign({ sub: 'billing', aud: 'herald', scope: 'messages:read' }, JWT_SECRET, { algorithm: 'HS256' })],
    ['exp as a string', () => handSigned(claims({ exp: String(inAnHour()) }))],
    ['aud as a list without herald', () => handSigned(claims({ aud: ['billing', 'reports'] }))],
    ['an expired token', () => jwt.sign(claims({ exp: Math.floor(Date.now() / 1000) - 60 }), JWT_SECRET, { algorithm: 'HS256' })],
    ['nbf in the future', () => jwt.sign(claims({ nbf: inAnHour() - 60 }), JWT_SECRET, { algorithm: 'HS256' })],
    ['no aud claim', () => jwt.sign({ sub: 'billing', scope: 'messages:read', exp: inAnHour() }, JWT_SECRET, { algorithm: 'HS256' })],
    ['another audience', () => jwt.sign(claims({ aud: 'billing-api' }), JWT_SECRET, { algorithm: 'HS256' })],
    ['no sub claim', () => jwt.sign({ aud: 'herald', scope: 'messages:read', exp: inAnHour() }, JWT_SECRET, { algorithm: 'HS256' })],
    ['a tampered payload', () => {
      const [h, , s] = jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256' }).split('.');
      return `${h ?? ''}.${b64(claims({ scope: 'admin' }))}.${s ?? ''}`;
    }],
    ['a truncated signature', () => jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256' }).slice(0, -4)],
  ];

  it.each(rejected)('rejects %s with 401 and does not echo the token', async (_label, make) => {
    const token = make();
    const res = await read(token).expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('gives a valid token only the scopes it names', async () => {
    const token = jwt.sign(claims({ scope: 'messages:read' }), JWT_SECRET, { algorithm: 'HS256' });
    await request(t.app).post('/api/notify').set('Authorization', `Bearer ${token}`).send({ to: 'a@example.com', subject: 's', text: 't' }).expect(403);
  });
});

describe('revoked API keys', () => {
  it('are rejected by every replica once the cache window has passed, and not before it ends', async () => {
    const repository = new ApiKeyRepository(t.database.db);
    const keys = new ApiKeyService(repository);
    const { key, row } = await keys.create('revoke-me', ['messages:read']);
    let now = 1_000_000;
    const replicas = [0, 1].map(() => new Authenticator(repository, { now: () => now }));
    for (const replica of replicas) await expect(replica.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ clientId: row.id });

    expect(await keys.revoke(row.id)).toBe(true);
    now += API_KEY_CACHE_MS - 1;
    // The bound SECURITY.md states: a revoked key may still pass for at most API_KEY_CACHE_MS.
    for (const replica of replicas) await expect(replica.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ clientId: row.id });
    now += 1;
    for (const replica of replicas) await expect(replica.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ status: 401 });
  });

  it('a replica that never saw the key rejects it at once', async () => {
    const repository = new ApiKeyRepository(t.database.db);
    const keys = new ApiKeyService(repository);
    const { key, row } = await keys.create('revoked-early', ['messages:read']);
    await keys.revoke(row.id);
    await expect(new Authenticator(repository, {}).authenticate(`Bearer ${key}`)).rejects.toMatchObject({ status: 401 });
  });

  it('stops working over HTTP on two API instances within the stated window', async () => {
    const other = createApiApp(t.infra, createServices(t.infra));
    const bearer = await t.bearerWith('messages:read');
    await request(t.app).get('/api/contact').set('Authorization', bearer).expect(200);
    await request(other).get('/api/contact').set('Authorization', bearer).expect(200);
    const row = await t.database.db.selectFrom('api_keys').select('id').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const revokedAt = Date.now();
    await new ApiKeyService(new ApiKeyRepository(t.database.db)).revoke(row.id);

    const deadline = revokedAt + API_KEY_CACHE_MS + 1000;
    const pending = new Set([t.app, other]);
    while (pending.size > 0 && Date.now() < deadline) {
      for (const app of [...pending]) {
        const res = await request(app).get('/api/contact').set('Authorization', bearer);
        if (res.status === 401) pending.delete(app);
      }
    }
    expect(pending.size).toBe(0);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(API_KEY_CACHE_MS + 1000);
  });
});

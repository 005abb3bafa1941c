import { createHmac, generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { ApiKeyRepository } from '../../services/auth/api-key-repository';
import { ApiKeyService } from '../../services/auth/api-keys';
import { API_KEY_CACHE_MS, Authenticator } from '../../services/auth/authenticator';
import { createApiApp, createServices } from '../../services/app';
import { base64url, bearer, inAnHour, jwtClaims, JWT_SECRET, notification, signJwt, unsignedJwt } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const { privateKey: rsaPrivate } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Signs by hand, for claims jsonwebtoken refuses to produce. */
function handSigned(payload: object): string {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`;
  return `${signingInput}.${createHmac('sha256', JWT_SECRET).update(signingInput).digest('base64url')}`;
}

const read = (token: string) => request(t.app).get('/api/contact').set('Authorization', bearer(token));

describe('JWTs', () => {
  it('accepts HS256 with audience herald, an exp and a sub (the control case)', async () => {
    await read(signJwt(jwtClaims())).expect(200);
    await read(handSigned(jwtClaims())).expect(200);
  });

  const rejected: [string, () => string][] = [
    ['alg none without a signature', () => unsignedJwt(jwtClaims())],
    ['alg none with a valid HS256 signature copied on', () => `${unsignedJwt(jwtClaims())}${signJwt(jwtClaims()).split('.')[2] ?? ''}`],
    ['alg header "None" in another case', () => unsignedJwt(jwtClaims(), 'None')],
    ['HS256 header over an HS512 signature', () => {
      const real = signJwt(jwtClaims(), { algorithm: 'HS512' }).split('.');
      return `${base64url({ alg: 'HS256', typ: 'JWT' })}.${real[1] ?? ''}.${real[2] ?? ''}`;
    }],
    ['HS512 with the right secret', () => signJwt(jwtClaims(), { algorithm: 'HS512' })],
    ['HS384 with the right secret', () => signJwt(jwtClaims(), { algorithm: 'HS384' })],
    ['RS256', () => signJwt(jwtClaims(), { algorithm: 'RS256' }, rsaPrivate)],
    ['HS256 with another secret', () => signJwt(jwtClaims(), {}, 'another-secret-0123456789abcdef')],
    ['no exp claim', () => signJwt({ sub: 'billing-service', aud: 'herald', scope: 'messages:read' })],
    ['exp as a string', () => handSigned(jwtClaims({ exp: String(inAnHour()) }))],
    ['aud as a list without herald', () => handSigned(jwtClaims({ aud: ['billing', 'reports'] }))],
    ['an expired token', () => signJwt(jwtClaims({ exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['nbf in the future', () => signJwt(jwtClaims({ nbf: inAnHour() - 60 }))],
    ['no aud claim', () => signJwt({ sub: 'billing-service', scope: 'messages:read', exp: inAnHour() })],
    ['another audience', () => signJwt(jwtClaims({ aud: 'billing-api' }))],
    ['no sub claim', () => signJwt({ aud: 'herald', scope: 'messages:read', exp: inAnHour() })],
    ['a tampered payload', () => {
      const [h, , s] = signJwt(jwtClaims()).split('.');
      return `${h ?? ''}.${base64url(jwtClaims({ scope: 'admin' }))}.${s ?? ''}`;
    }],
    ['a truncated signature', () => signJwt(jwtClaims()).slice(0, -4)],
  ];

  it.each(rejected)('rejects %s with 401 and does not echo the token', async (_label, make) => {
    const token = make();
    const res = await read(token).expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('gives a valid token only the scopes it names', async () => {
    const token = signJwt(jwtClaims({ scope: 'messages:read' }));
    await request(t.app).post('/api/notify').set('Authorization', bearer(token)).send(notification).expect(403);
  });
});

describe('revoked API keys', () => {
  it('are rejected by every replica once the cache window has passed, and not before it ends', async () => {
    const repository = new ApiKeyRepository(t.database.db);
    const keys = new ApiKeyService(repository);
    const { key, row } = await keys.create('revoke-me', ['messages:read']);
    let now = 1_000_000;
    const replicas = [0, 1].map(() => new Authenticator(repository, { now: () => now }));
    for (const replica of replicas) await expect(replica.authenticate(bearer(key))).resolves.toMatchObject({ clientId: row.id });

    expect(await keys.revoke(row.id)).toBe(true);
    now += API_KEY_CACHE_MS - 1;
    // The bound SECURITY.md states: a revoked key may still pass for at most API_KEY_CACHE_MS.
    for (const replica of replicas) await expect(replica.authenticate(bearer(key))).resolves.toMatchObject({ clientId: row.id });
    now += 1;
    for (const replica of replicas) await expect(replica.authenticate(bearer(key))).rejects.toMatchObject({ status: 401 });
  });

  it('a replica that never saw the key rejects it at once', async () => {
    const repository = new ApiKeyRepository(t.database.db);
    const keys = new ApiKeyService(repository);
    const { key, row } = await keys.create('revoked-early', ['messages:read']);
    await keys.revoke(row.id);
    await expect(new Authenticator(repository, {}).authenticate(bearer(key))).rejects.toMatchObject({ status: 401 });
  });

  it('stops working over HTTP on two API instances within the stated window', async () => {
    const other = createApiApp(t.infra, createServices(t.infra));
    const reader = await t.keyWith('messages:read');
    await request(t.app).get('/api/contact').set('Authorization', reader.bearer).expect(200);
    await request(other).get('/api/contact').set('Authorization', reader.bearer).expect(200);
    const revokedAt = Date.now();
    expect(await new ApiKeyService(new ApiKeyRepository(t.database.db)).revoke(reader.id)).toBe(true);

    const pending = new Set([t.app, other]);
    await waitUntil(
      async () => {
        for (const app of [...pending]) {
          const res = await request(app).get('/api/contact').set('Authorization', reader.bearer);
          if (res.status === 401) pending.delete(app);
        }
        return pending.size === 0;
      },
      { timeoutMs: revokedAt + API_KEY_CACHE_MS + 1000 - Date.now(), what: 'both instances to refuse the revoked key' },
    );
    expect(pending.size).toBe(0);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(API_KEY_CACHE_MS + 1000);
  });
});

import request from 'supertest';
import { bearerFromAuthorization } from '../../services/admin/admin-auth';
import { ADMIN_KEY, adminBearer } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t.close();
});

function challenges(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

describe('/admin/queues (bull-board)', () => {
  it('answers 401 with a Basic challenge when no credential is sent, so a browser asks for one', async () => {
    const res = await request(t.app).get('/admin/queues').expect(401);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    // Node's client joins the two WWW-Authenticate headers into one line.
    const sent = challenges(res.headers['www-authenticate']).join(', ');
    expect(sent).toMatch(/^Basic realm="Herald admin"/);
    expect(sent).toMatch(/, Bearer realm="herald"$/);
    await request(t.app).get('/admin/queues/api/queues').expect(401);
  });

  it('answers 401 for a wrong key, as bearer or as basic password', async () => {
    await request(t.app).get('/admin/queues').set('Authorization', 'Bearer hrld_not-a-real-key').expect(401);
    await request(t.app).get('/admin/queues').auth('admin', 'wrong-password-0123456789').expect(401);
  });

  it('answers 403 for a key without the admin scope', async () => {
    const sender = await t.keyWith('notify:send', 'messages:read');
    const res = await request(t.app).get('/admin/queues').set('Authorization', sender.bearer).expect(403);
    expect(res.body).toMatchObject({ status: 403, required_scope: 'admin' });
    await request(t.app).get('/admin/queues').auth('ops', sender.key).expect(403);
  });

  it('serves the dashboard to the admin key as bearer, with a policy that lets its scripts run', async () => {
    const res = await request(t.app).get('/admin/queues').set('Authorization', adminBearer).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<div id="root">');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('serves the dashboard and its assets to the admin key as HTTP basic password (what browsers send)', async () => {
    const res = await request(t.app).get('/admin/queues').auth('admin', ADMIN_KEY).expect(200);
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(res.text)?.[1];
    expect(script).toBeDefined();
    const asset = await request(t.app).get(`/admin/queues/${script}`).auth('admin', ADMIN_KEY).expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    await request(t.app).get(`/admin/queues/${script}`).expect(401);
  });

  it('accepts an API key with the admin scope, and lists the deliveries queue through its API', async () => {
    const operator = await t.bearerWith('admin');
    const res = await request(t.app).get('/admin/queues/api/queues').set('Authorization', operator).expect(200);
    const names = (res.body.queues as { name: string }[]).map((queue) => queue.name);
    expect(names).toEqual(['deliveries']);
  });

  it('does not offer retries from the board (failed messages are retried through the API)', async () => {
    const res = await request(t.app).get('/admin/queues/api/queues').set('Authorization', adminBearer).expect(200);
    expect(res.body.queues[0]).toMatchObject({ allowRetries: false });
  });
});

describe('bearerFromAuthorization', () => {
  const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

  it('takes the basic password, or the user name when there is no password', () => {
    expect(bearerFromAuthorization(basic('admin:s3cret-key'))).toBe('Bearer s3cret-key');
    expect(bearerFromAuthorization(basic('s3cret-key:'))).toBe('Bearer s3cret-key');
    expect(bearerFromAuthorization(basic('s3cret-key'))).toBe('Bearer s3cret-key');
    expect(bearerFromAuthorization(basic('user:pa:ss'))).toBe('Bearer pa:ss');
    expect(bearerFromAuthorization(basic(':'))).toBeUndefined();
  });

  it('passes bearer headers through and leaves nothing as nothing', () => {
    expect(bearerFromAuthorization('Bearer abc')).toBe('Bearer abc');
    expect(bearerFromAuthorization(undefined)).toBeUndefined();
  });
});

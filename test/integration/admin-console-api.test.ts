import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { CONSOLE_CSP, consoleRoutes } from '../../services/console/routes';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// The admin JSON the console reads (console.md): /api/admin/overview and /api/admin/keys,
// and how /console is served.

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, RETRY_BASE_DELAY_MS: '20', DELIVERY_ATTEMPTS: '1' });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

describe('GET /api/admin/overview', () => {
  it('counts the last day by status, deliveries per minute, provider tries and circuits, the queue and workers', async () => {
    const sender = await t.bearerWith('notify:send');
    // The sink refuses the first recipient it is offered: one of the two fails, the other is sent.
    sink.rejectNextRecipients(1, 550);
    const ids: string[] = [];
    for (const to of ['ops@example.com', 'gone@example.com']) {
      ids.push((await request(t.app).post('/api/notify').set('Authorization', sender).send({ to, subject: 'Hi', text: 'hi' }).expect(202)).body.id);
    }
    const statuses = async () => (await t.database.db.selectFrom('messages').select('status').where('id', 'in', ids).execute()).map((r) => r.status).sort();
    await waitUntil(async () => ((await statuses()).join() === 'failed,sent' ? true : undefined), { what: 'one sent and one failed', detail: () => ids.join() });

    const res = await request(t.app).get('/api/admin/overview').set('Authorization', adminBearer).expect(200);
    expect(res.body.messages_24h).toEqual({ sent: 1, failed: 1 });
    const minutes = res.body.deliveries_per_minute as { minute: string; sent: number; failed: number }[];
    expect(minutes.reduce((sum, m) => sum + m.sent, 0)).toBe(1);
    expect(minutes.reduce((sum, m) => sum + m.failed, 0)).toBe(1);
    expect(minutes.every((m) => m.minute.endsWith(':00.000Z'))).toBe(true);
    expect(res.body.providers).toEqual([{ provider: 'smtp', circuit: 'closed', tries_15m: 2, failures_15m: 1 }]);
    expect(res.body.queue.counts).toMatchObject({ waiting: 0, active: 0 });
    expect(typeof res.body.queue.oldest_waiting_s).toBe('number');
    expect(res.body.live_workers).toBeGreaterThanOrEqual(1);
  });

  it('is for admins: a key without admin is 403, none 401', async () => {
    await request(t.app).get('/api/admin/overview').set('Authorization', await t.bearerWith('messages:read')).expect(403);
    await request(t.app).get('/api/admin/overview').expect(401);
  });
});

describe('/api/admin/keys', () => {
  it('creates a key shown once, lists it without the secret, and revokes it', async () => {
    const created = await request(t.app).post('/api/admin/keys').set('Authorization', adminBearer).send({ name: 'deploy bot', scopes: ['notify:send', 'messages:read'] }).expect(201);
    expect(created.body.key).toMatch(/^hrld_/);
    expect(created.body).toMatchObject({ name: 'deploy bot', scopes: ['notify:send', 'messages:read'], revoked_at: null });
    await request(t.app).get('/api/notify').set('Authorization', `Bearer ${created.body.key}`).expect(200);

    const list = await request(t.app).get('/api/admin/keys').set('Authorization', adminBearer).expect(200);
    const listed = (list.body.results as { id: string; prefix: string }[]).find((k) => k.id === created.body.id);
    expect(listed?.prefix).toBe(String(created.body.key).slice(0, 12));
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    await request(t.app).delete(`/api/admin/keys/${created.body.id}`).set('Authorization', adminBearer).expect(204);
    // The api stops taking it once its cached lookup expires (API_KEY_CACHE_MS); the row says revoked now.
    const after = await request(t.app).get('/api/admin/keys').set('Authorization', adminBearer).expect(200);
    expect((after.body.results as { id: string; revoked_at: string | null }[]).find((k) => k.id === created.body.id)?.revoked_at).toEqual(expect.any(String));
    await request(t.app).delete(`/api/admin/keys/${created.body.id}`).set('Authorization', adminBearer).expect(404);
    await request(t.app).delete('/api/admin/keys/not-a-uuid').set('Authorization', adminBearer).expect(404);
  });

  it('refuses unknown scopes and empty names with 422, and non-admins with 403', async () => {
    const bad = await request(t.app).post('/api/admin/keys').set('Authorization', adminBearer).send({ name: ' ', scopes: ['root'] }).expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['name', 'scopes.0']));
    await request(t.app).post('/api/admin/keys').set('Authorization', await t.bearerWith('notify:send')).send({ name: 'x', scopes: ['admin'] }).expect(403);
  });
});

describe('/console', () => {
  it('answers a sentence, not a blank page, when the console is not built', async () => {
    const app = express().use(consoleRoutes(join(tmpdir(), 'herald-no-console-here')));
    const res = await request(app).get('/console/').expect(503);
    expect(res.text).toMatch(/The console is not built.*npm run build/s);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('serves the page uncached and its hashed assets for a year, under the console policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-console-'));
    try {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-abc123.js"></script>');
      writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
      const app = express().use(consoleRoutes(dir));
      const page = await request(app).get('/console/').expect(200);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
      const asset = await request(app).get('/console/assets/app-abc123.js').expect(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      await request(app).get('/console').expect(301).expect('location', '/console/');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

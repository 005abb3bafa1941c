import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApiApp, createServices } from '../../services/app';
import { bearer, notification } from '../support/fixtures';
import { type HeraldRun, runHerald } from '../support/herald-process';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp();
  env = { HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', DATABASE_URL: t.database.url, REDIS_URL: t.config.redisUrl, QUEUE_PREFIX: t.config.queuePrefix };
});
afterAll(async () => {
  await t.close();
});

function parseCreated(stdout: string): { id: string; key: string } {
  const id = /^id:\s+(\S+)$/m.exec(stdout)?.[1];
  const key = /^key:\s+(hrld_\S+)$/m.exec(stdout)?.[1];
  if (id === undefined || key === undefined) throw new Error(`unexpected output of keys create:\n${stdout}`);
  return { id, key };
}

// Each spawn transpiles the CLI from source, so the independent runs go in parallel and the rest are few.
describe('herald keys', () => {
  let sender: { id: string; key: string };
  let badScope: HeraldRun;
  let noName: HeraldRun;
  let badPort: HeraldRun;
  beforeAll(async () => {
    let created: HeraldRun;
    [created, badScope, noName, badPort] = await Promise.all([
      runHerald(['keys', 'create', '--name', 'test', '--scopes', 'notify:send'], env),
      runHerald(['keys', 'create', '--name', 'x', '--scopes', 'notify:send,root'], env),
      runHerald(['keys', 'create', '--scopes', 'notify:send'], env),
      runHerald(['migrate'], { ...env, PORT: 'abc' }),
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    sender = parseCreated(created.stdout);
  });

  it('create prints the key once, with its id', async () => {
    expect(sender.key).toMatch(/^hrld_[A-Za-z0-9_-]{20,}$/);
    const row = await t.database.db.selectFrom('api_keys').selectAll().where('id', '=', sender.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'test', scopes: ['notify:send'], revoked_at: null });
    expect(row.hash).not.toContain(sender.key);
  });

  it('the printed key works against the API with its scopes', async () => {
    await request(t.app).post('/api/notify').set('Authorization', bearer(sender.key)).send(notification).expect(202);
    await request(t.app).get('/api/notify').set('Authorization', bearer(sender.key)).expect(403);
  });

  it('list shows the key without its secret', async () => {
    const listed = await runHerald(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(sender.id));
    expect(line).toBeDefined();
    expect(line).toContain('test');
    expect(line).toContain('[notify:send]');
    expect(line).toContain('active');
    expect(line).toContain(sender.key.slice(0, 12));
    expect(listed.stdout).not.toContain(sender.key);
  });

  it('revoke ID stops the key', async () => {
    // A key of its own, so that the tests above find theirs active whatever the order.
    const doomed = await t.keyWith('notify:send');
    await request(t.app).post('/api/notify').set('Authorization', doomed.bearer).send(notification).expect(202);
    const revoked = await runHerald(['keys', 'revoke', doomed.id], env);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${doomed.id}\n` });
    const row = await t.database.db.selectFrom('api_keys').select('revoked_at').where('id', '=', doomed.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeInstanceOf(Date);
    // A fresh app has no cached lookup of this key.
    const fresh = createApiApp(t.infra, createServices(t.infra));
    await request(fresh).post('/api/notify').set('Authorization', doomed.bearer).send(notification).expect(401);
  });

  it('rejects unknown scopes and a missing name with exit code 2', () => {
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('unknown scope(s): root');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name');
  });

  it('herald migrate with PORT=abc exits non-zero with one line naming PORT', () => {
    expect(badPort.code).not.toBe(0);
    const lines = badPort.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^herald: .*\bPORT\b/);
    expect(badPort.stdout).toBe('');
  });
});

describe('herald users create-admin (npm run quickstart)', () => {
  it('creates a verified admin once from a password file, leaves it as it is on later runs, and refuses a weak password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-admin-'));
    try {
      const file = join(dir, 'password');
      writeFileSync(file, 'quick start console password 7\n');
      const weakFile = join(dir, 'weak');
      writeFileSync(weakFile, 'admin');
      const args = ['users', 'create-admin', '--username', 'admin', '--email', 'admin@example.com', '--password-file'];
      // Each run transpiles the CLI from source: generous deadlines for a loaded machine.
      const [first, weak] = await Promise.all([
        runHerald([...args, file], env, 120_000),
        runHerald(['users', 'create-admin', '--username', 'other', '--email', 'o@example.com', '--password-file', weakFile], env, 120_000),
      ]);
      expect(first).toMatchObject({ code: 0 });
      expect(first.stdout).toMatch(/created admin admin/);
      expect(first.stdout).not.toContain('quick start console password');
      expect(weak.code).toBe(2);
      expect(weak.stderr).toMatch(/password must be/);
      const again = await runHerald([...args, file], env, 120_000);
      expect(again).toMatchObject({ code: 0 });
      expect(again.stdout).toMatch(/exists/);
      const login = await request(t.app).post('/api/auth/login').send({ login: 'admin', password: 'quick start console password 7' }).expect(200);
      expect(login.body.user).toMatchObject({ role: 'admin', verified: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

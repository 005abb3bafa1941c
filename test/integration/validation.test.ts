import request from 'supertest';
import { ADMIN_KEY, adminBearer } from '../support/fixtures';
import { parseExposition, valueOf } from '../support/prom-text';
import { freePort, type HeraldProcess, spawnHerald } from '../support/herald-process';
import { startDnsServer, type TestDnsServer, validationZone } from '../support/dns-server';
import { startTestApp, type TestApp } from '../support/test-app';

// POST /api/validate/email and /batch against a real DNS server started here (validation.md).

let dns: TestDnsServer;
let t: TestApp;
let auth: string;

beforeAll(async () => {
  dns = await startDnsServer(validationZone);
  t = await startTestApp({ DNS_SERVERS: dns.address, VALIDATION_EXTRA_DISPOSABLE: 'throwaway.example' });
  auth = await t.bearerWith('validate');
});

afterAll(async () => {
  await t.close();
  await dns.close();
});

const validate = (email: string, extra: Record<string, unknown> = {}) =>
  request(t.app).post('/api/validate/email').set('Authorization', auth).send({ email, ...extra });

describe('POST /api/validate/email', () => {
  it('an address whose domain has MX records is deliverable, with the records', async () => {
    const res = await validate('ada@mx.example').expect(200);
    expect(res.body).toMatchObject({
      email: 'ada@mx.example',
      normalized: 'ada@mx.example',
      result: 'deliverable',
      score: 100,
      reasons: [],
      checks: { syntax: { valid: true }, dns: { status: 'ok', mx: [{ exchange: 'mail.mx.example', priority: 10 }] }, disposable: false, role: false, free: false, typo: null },
    });
  });

  it.each([
    ['ada@nullmx.example', 'null_mx', 'null_mx'],
    ['ada@nowhere.example', 'nxdomain', 'nxdomain'],
    ['ada@empty.example', 'no_records', 'no_mail_host'],
  ])('%s is undeliverable (%s)', async (email, status, reason) => {
    const res = await validate(email).expect(200);
    expect(res.body).toMatchObject({ result: 'undeliverable', score: 0, reasons: [reason], checks: { dns: { status } } });
  });

  it('no MX but an address: deliverable through the A fallback, and said so', async () => {
    const res = await validate('ada@a-only.example').expect(200);
    expect(res.body).toMatchObject({ result: 'deliverable', reasons: ['no_mx_fallback_a'], checks: { dns: { status: 'no_mx_fallback_a', mx: [] } } });
    expect(res.body.score).toBeLessThan(100);
  });

  it('SERVFAIL is unknown, never undeliverable', async () => {
    const res = await validate('ada@servfail.example').expect(200);
    expect(res.body).toMatchObject({ result: 'unknown', reasons: ['dns_servfail'], checks: { dns: { status: 'servfail' } } });
  });

  it('a server that never answers is unknown (timeout), answered within 5 s', async () => {
    const started = Date.now();
    const res = await validate('ada@silent.example').expect(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.body).toMatchObject({ result: 'unknown', reasons: ['dns_timeout'], checks: { dns: { status: 'timeout' } } });
    // One query and one retry.
    expect(dns.queries('silent.example', 'MX')).toBe(2);
  });

  it('bad syntax is undeliverable with the reason accept gives', async () => {
    const res = await validate('not-an-address').expect(200);
    expect(res.body).toMatchObject({ result: 'undeliverable', score: 0, reasons: ['invalid_syntax'], normalized: null, checks: { syntax: { valid: false, reason: 'must look like name@example.com' }, dns: null } });
  });

  it('disposable domains are risky, their subdomains and the extra list too', async () => {
    for (const email of ['ada@mailinator.com', 'ada@inbox.mailinator.com', 'ada@throwaway.example', 'ada@x.throwaway.example']) {
      const res = await validate(email).expect(200);
      expect({ email, result: res.body.result, disposable: res.body.checks.disposable }).toEqual({ email, result: 'risky', disposable: true });
      expect(res.body.reasons).toContain('disposable');
    }
  });

  it('role addresses are risky; free providers are noted but deliverable', async () => {
    const role = await validate('postmaster@mx.example').expect(200);
    expect(role.body).toMatchObject({ result: 'risky', reasons: ['role'], checks: { role: true } });
    const free = await validate('ada@gmail.com').expect(200);
    expect(free.body).toMatchObject({ result: 'deliverable', reasons: ['free'], checks: { free: true, typo: null } });
  });

  it('a near miss of a common provider gets a suggestion', async () => {
    // gmail.con is on no disposable or free list (gmial.com is on both).
    const res = await validate('ada@gmail.con').expect(200);
    expect(res.body).toMatchObject({ result: 'risky', reasons: ['typo'], checks: { typo: { suggestion: 'ada@gmail.com' } } });
  });

  it('an IDN domain is normalised to punycode', async () => {
    const res = await validate('ada@Bücher.example').expect(200);
    expect(res.body).toMatchObject({
      normalized: 'ada@xn--bcher-kva.example',
      result: 'deliverable',
      checks: { domain: { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' }, dns: { status: 'ok' } },
    });
  });

  it('answers are cached: a second lookup of the domain asks no DNS server', async () => {
    await validate('first@cached.bulk.example').expect(200);
    await validate('second@cached.bulk.example').expect(200);
    expect(dns.queries('cached.bulk.example', 'MX')).toBe(1);
  });

  it('metrics count validations by result and lookups by source', async () => {
    const scrape = async () => parseExposition((await request(t.app).get('/metrics').expect(200)).text);
    const before = await scrape();
    await validate('ada@metrics.bulk.example').expect(200);
    await validate('bob@metrics.bulk.example').expect(200);
    await validate('broken').expect(200);
    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(grew('herald_validations_total', { result: 'deliverable' })).toBe(2);
    expect(grew('herald_validations_total', { result: 'undeliverable' })).toBe(1);
    expect(grew('herald_dns_lookups_total', { source: 'dns', status: 'ok' })).toBe(1);
    expect(grew('herald_dns_lookups_total', { source: 'cache', status: 'ok' })).toBe(1);
  });

  it('checks.dns false skips DNS: the answer is unknown at best', async () => {
    const res = await validate('ada@nodns.bulk.example', { checks: { dns: false } }).expect(200);
    expect(res.body).toMatchObject({ result: 'unknown', reasons: ['dns_not_checked'], checks: { dns: null } });
    expect(dns.queries('nodns.bulk.example')).toBe(0);
  });

  it('needs the validate scope, and a body of the documented shape', async () => {
    const other = await t.bearerWith('notify:send');
    await request(t.app).post('/api/validate/email').set('Authorization', other).send({ email: 'ada@mx.example' }).expect(403);
    await request(t.app).post('/api/validate/email').send({ email: 'ada@mx.example' }).expect(401);
    const bad = await request(t.app).post('/api/validate/email').set('Authorization', auth).send({ email: 42 }).expect(422);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('POST /api/validate/batch', () => {
  it('answers in order and looks each domain up once', async () => {
    const emails = Array.from({ length: 300 }, (_, i) => `user${i}@d${i % 30}.once.bulk.example`);
    emails.splice(7, 0, 'broken', 'ada@nowhere-batch.example');
    const res = await request(t.app).post('/api/validate/batch').set('Authorization', auth).send({ emails }).expect(200);
    expect(res.body.results.map((r: { email: string }) => r.email)).toEqual(emails);
    expect(res.body.results[7]).toMatchObject({ result: 'undeliverable', reasons: ['invalid_syntax'] });
    expect(res.body.results[8]).toMatchObject({ result: 'undeliverable', reasons: ['nxdomain'] });
    expect(res.body.results.filter((r: { result: string }) => r.result === 'deliverable')).toHaveLength(300);
    for (let d = 0; d < 30; d += 1) expect(dns.queries(`d${d}.once.bulk.example`, 'MX')).toBe(1);
  });

  it('refuses 1001 addresses with a problem', async () => {
    const emails = Array.from({ length: 1001 }, (_, i) => `u${i}@mx.example`);
    const res = await request(t.app).post('/api/validate/batch').set('Authorization', auth).send({ emails }).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body.errors)).toContain('emails');
  });
});

describe('the DNS cache is shared by replicas', () => {
  const apis: HeraldProcess[] = [];
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
  });

  async function startApi(): Promise<string> {
    const port = await freePort();
    const api = spawnHerald(['serve', '--role', 'api'], {
      DATABASE_URL: t.config.databaseUrl,
      REDIS_URL: t.config.redisUrl,
      QUEUE_PREFIX: t.config.queuePrefix,
      DNS_SERVERS: dns.address,
      HERALD_ADMIN_KEY: ADMIN_KEY,
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    apis.push(api);
    await api.waitForLine(/api listening/, 30000);
    return `http://127.0.0.1:${port}`;
  }

  it('two api processes: the second answers from the lookup the first made', async () => {
    const [first, second] = await Promise.all([startApi(), startApi()]);
    const ask = async (base: string, email: string) => {
      const res = await fetch(`${base}/api/validate/email`, { method: 'POST', headers: { Authorization: adminBearer, 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
      expect(res.status).toBe(200);
      return (await res.json()) as { result: string; checks: { dns: { status: string } } };
    };
    expect(await ask(first, 'ada@replicas.bulk.example')).toMatchObject({ result: 'deliverable', checks: { dns: { status: 'ok' } } });
    expect(await ask(second, 'bob@replicas.bulk.example')).toMatchObject({ result: 'deliverable', checks: { dns: { status: 'ok' } } });
    // Negative answers are shared too.
    await ask(first, 'ada@gone-replicas.example');
    expect(await ask(second, 'bob@gone-replicas.example')).toMatchObject({ result: 'undeliverable', checks: { dns: { status: 'nxdomain' } } });
    expect(dns.queries('replicas.bulk.example', 'MX')).toBe(1);
    expect(dns.queries('gone-replicas.example', 'MX')).toBe(1);
  });
});

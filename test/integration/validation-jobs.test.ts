import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startDnsServer, type TestDnsServer, validationZone } from '../support/dns-server';
import { type HeraldProcess, startWorkerProcess } from '../support/herald-process';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Validation jobs (validation.md, "Many addresses"): uploads of up to 100,000 lines, processed
// in chunks by workers, progress and results in Postgres.

let dns: TestDnsServer;
let t: TestApp;
let auth: string;

beforeAll(async () => {
  dns = await startDnsServer(validationZone);
  t = await startTestApp({ DNS_SERVERS: dns.address, LEASE_MS: '2000', SWEEPER_INTERVAL_MS: '250', SWEEPER_GRACE_MS: '1000' });
  auth = await t.bearerWith('validate');
});

afterAll(async () => {
  await t.close();
  await dns.close();
});

const upload = (body: string, type = 'text/plain') => request(t.app).post('/api/validate/jobs').set('Authorization', auth).set('Content-Type', type).send(body);
const status = async (id: string) => (await request(t.app).get(`/api/validate/jobs/${id}`).set('Authorization', auth).expect(200)).body;
const finished = (id: string, timeoutMs = 30000) =>
  waitUntil(
    async () => {
      const job = await status(id);
      return job.status === 'completed' || job.status === 'cancelled' ? job : undefined;
    },
    { what: `job ${id} to finish`, timeoutMs, intervalMs: 100 },
  );

describe('uploads refused', () => {
  it('a CSV without an email column, an empty body, JSON, and 100,001 lines', async () => {
    const noColumn = await upload('name,address\nada,ada@mx.example\n', 'text/csv').expect(422);
    expect(noColumn.body.detail).toMatch(/"email" column/);
    await upload('\n\n').expect(422);
    await request(t.app).post('/api/validate/jobs').set('Authorization', auth).send({ emails: ['ada@mx.example'] }).expect(415);
    const tooMany = await upload(Array.from({ length: 100_001 }, (_, i) => `u${i}@mx.example`).join('\n')).expect(422);
    expect(tooMany.body.detail).toMatch(/at most 100000/);
  });

  it('a body over 10 MB is refused with 413 before it is read', async () => {
    const line = `${'a'.repeat(60)}@mx.example\n`;
    const body = line.repeat(Math.ceil((10 * 1024 * 1024 + 1) / line.length));
    const res = await upload(body).expect(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('needs the validate scope; an unknown or malformed job id is 404', async () => {
    const other = await t.bearerWith('notify:send');
    await request(t.app).post('/api/validate/jobs').set('Authorization', other).set('Content-Type', 'text/plain').send('ada@mx.example').expect(403);
    await request(t.app).get('/api/validate/jobs/not-a-uuid').set('Authorization', auth).expect(404);
    await request(t.app).get('/api/validate/jobs/00000000-0000-4000-8000-000000000000').set('Authorization', auth).expect(404);
  });
});

describe('with a worker', () => {
  let worker: WorkerRuntime;
  beforeAll(async () => {
    worker = await startWorkerRuntime(t.infra);
  });
  afterAll(async () => {
    await worker.stop();
  });

  it('a 20,000-line job completes with counts that add up, pages, filters and a CSV export of every row', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => (i % 100 === 0 ? `u${i}@gone${i % 7}.example` : i % 250 === 1 ? `broken-${i}` : `u${i}@d${i % 200}.jobs.bulk.example`));
    const created = await upload(lines.join('\n')).expect(202);
    expect(created.body).toMatchObject({ status: 'queued', total: 20_000 });
    const job = await finished(created.body.job_id as string, 60000);
    expect(job).toMatchObject({ status: 'completed', total: 20_000, processed: 20_000, progress: 1, counts: { undeliverable: 200 + 80, unknown: 0, risky: 0 } });
    const sum = Object.values(job.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBe(20_000);
    expect(job.finished_at).not.toBeNull();
    // Each domain was asked once, though it appears on a hundred lines.
    expect(dns.queries('d17.jobs.bulk.example', 'MX')).toBe(1);

    const page2 = await request(t.app).get(`/api/validate/jobs/${job.job_id}/results?page=2&page_size=50`).set('Authorization', auth).expect(200);
    expect(page2.body).toMatchObject({ count: 20_000, page: 2, page_size: 50 });
    expect(page2.body.results).toHaveLength(50);
    expect(page2.body.results[0]).toMatchObject({ line: 51, email: lines[50] });

    const bad = await request(t.app).get(`/api/validate/jobs/${job.job_id}/results?result=undeliverable&page_size=1000`).set('Authorization', auth).expect(200);
    expect(bad.body.count).toBe(280);
    expect(bad.body.results.every((r: { result: string }) => r.result === 'undeliverable')).toBe(true);
    expect(bad.body.results[0]).toMatchObject({ line: 1, email: 'u0@gone0.example', reasons: ['nxdomain'] });

    const csv = await request(t.app).get(`/api/validate/jobs/${job.job_id}/results.csv`).set('Authorization', auth).buffer(true).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.text.trimEnd().split('\n');
    expect(rows[0]).toBe('line,email,normalized,result,score,reasons,dns_status,disposable,role,free,suggestion');
    expect(rows).toHaveLength(20_001);
    expect(rows[2]).toBe(`2,${lines[1]},,undeliverable,0,invalid_syntax,,false,false,false,`);
    expect(rows[3]).toBe(`3,${lines[2]},${lines[2]},deliverable,100,,ok,false,false,false,`);

    // The job's DELETE after completion is a conflict, not a change.
    await request(t.app).delete(`/api/validate/jobs/${job.job_id}`).set('Authorization', auth).expect(409);
  }, 90000);

  it('a CSV upload takes the email column', async () => {
    const created = await upload('name,Email\nAda,ada@mx.example\n"Lovelace, B",postmaster@mx.example\n', 'text/csv').expect(202);
    const job = await finished(created.body.job_id as string);
    expect(job).toMatchObject({ status: 'completed', total: 2, counts: { deliverable: 1, risky: 1 } });
  });
});

describe('cancel', () => {
  it('a queued job is cancelled and never processed', async () => {
    // No worker runs in this block: the job stays queued until cancelled.
    const created = await upload('ada@mx.example\nbob@mx.example').expect(202);
    const cancelled = await request(t.app).delete(`/api/validate/jobs/${created.body.job_id}`).set('Authorization', auth).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', processed: 0 });
    const worker = await startWorkerRuntime(t.infra);
    try {
      // Wait until the worker has taken the queue entry and let it go.
      await waitUntil(async () => (await t.infra.validationQueue.getJob(created.body.job_id as string))?.isCompleted(), { what: 'the queue entry to be done' });
      expect(await status(created.body.job_id as string)).toMatchObject({ status: 'cancelled', processed: 0 });
    } finally {
      await worker.stop();
    }
  });
});

describe('with a worker started later', () => {
  it('a running job is cancelled between chunks: what was done stays, nothing more is', async () => {
    const lines = Array.from({ length: 6000 }, (_, i) => `u${i}@c${i}.slow.example`);
    const created = await upload(lines.join('\n')).expect(202);
    const id = created.body.job_id as string;
    const worker = await startWorkerRuntime(t.infra);
    try {
      await waitUntil(async () => (await status(id)).processed >= 1000, { what: 'the first chunk', timeoutMs: 30000, intervalMs: 20 });
      const cancelled = await request(t.app).delete(`/api/validate/jobs/${id}`).set('Authorization', auth).expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      await waitUntil(async () => (await t.infra.validationQueue.getJob(id))?.isCompleted(), { what: 'the run to stop', timeoutMs: 30000 });
      const job = await status(id);
      expect(job.status).toBe('cancelled');
      expect(job.processed).toBeLessThan(6000);
      const withResult = await t.database.db.selectFrom('validation_results').select('line').where('job_id', '=', id).where('result', 'is not', null).execute();
      expect(withResult).toHaveLength(job.processed as number);
    } finally {
      await worker.stop();
    }
  }, 60000);

  it('the sweeper re-adds a job whose queue entry was lost', async () => {
    const created = await upload('ada@mx.example\nbob@nowhere.example').expect(202);
    const id = created.body.job_id as string;
    await t.infra.validationQueue.remove(id);
    expect(await t.infra.validationQueue.getJob(id)).toBeUndefined();
    const worker = await startWorkerRuntime(t.infra);
    try {
      const job = await finished(id);
      expect(job).toMatchObject({ status: 'completed', counts: { deliverable: 1, undeliverable: 1 } });
    } finally {
      await worker.stop();
    }
  });
});

describe('a worker SIGKILLed mid-job', () => {
  const processes: HeraldProcess[] = [];
  afterAll(async () => {
    for (const p of processes) {
      p.kill('SIGKILL');
      await p.exited;
    }
  });

  async function startWorker(): Promise<HeraldProcess> {
    const worker = await startWorkerProcess(t.config, { DNS_SERVERS: dns.address });
    processes.push(worker);
    return worker;
  }

  it('another worker finishes the job with exactly one result per line', async () => {
    // A slow DNS server and distinct domains: the job takes seconds, long enough to kill it midway.
    const lines = Array.from({ length: 8000 }, (_, i) => `u${i}@k${i}.slow.example`);
    const created = await upload(lines.join('\n')).expect(202);
    const id = created.body.job_id as string;
    const first = await startWorker();
    await waitUntil(async () => (await status(id)).processed >= 1000, { what: 'the first chunk', timeoutMs: 30000, intervalMs: 20 });
    first.kill('SIGKILL');
    await first.exited;
    const atKill = await status(id);
    expect(atKill.status).toBe('running');
    expect(atKill.processed).toBeLessThan(8000);

    await startWorker();
    const job = await finished(id, 60000);
    expect(job).toMatchObject({ status: 'completed', total: 8000, processed: 8000, counts: { deliverable: 8000 } });
    const lineCounts = await t.database.db
      .selectFrom('validation_results')
      .select((eb) => [eb.fn.countAll<string>().as('rows'), eb.fn.count<string>('result').as('with_result')])
      .where('job_id', '=', id)
      .executeTakeFirstOrThrow();
    expect({ rows: Number(lineCounts.rows), withResult: Number(lineCounts.with_result) }).toEqual({ rows: 8000, withResult: 8000 });
  }, 120000);
});

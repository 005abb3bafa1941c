import { UnrecoverableError, Worker } from 'bullmq';
import { sql } from 'kysely';
import request from 'supertest';
import { DeliveryLedger } from '../../services/delivery/delivery-ledger';
import type { MessageStatus } from '../../services/domain/message-statuses';
import { reclaimExpired } from '../../services/lifecycle/sweep';
import { QUEUE_NAMES } from '../../services/platform/redis-keys';
import { createRedis } from '../../services/platform/redis';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { parseExposition, valueOf } from '../support/prom-text';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { MessageEnqueuer } from '../../services/messages/enqueuer';
import { Sweeper } from '../../workers/sweeper';
import { adminBearer, notificationBatch } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Issue 19, items 1, 3 and 4: the faults that broke "nothing sent twice" and "nothing lost".


const countWhere = async (t: TestApp, ids: readonly string[], status: MessageStatus) =>
  Number(
    (await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', [...ids]).where('status', '=', status).executeTakeFirstOrThrow()).n,
  );

async function queueIdle(t: TestApp): Promise<boolean> {
  const counts = await t.infra.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
  return Object.values(counts).every((n) => n === 0);
}

const messageIdsAt = (sink: SmtpSink) => sink.messages.map((m) => m.parsed.messageId?.slice(1).split('@')[0]);

describe('a send that outlives the lease', () => {
  let sink: SmtpSink;
  let t: TestApp;
  const workers: WorkerRuntime[] = [];

  beforeAll(async () => {
    // A peer taking twice the lease per message, as in the report.
    sink = await startSmtpSink({ answerDelayMs: 4000 });
    t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, LEASE_MS: '2000', SWEEPER_GRACE_MS: '1000', SWEEPER_INTERVAL_MS: '500' });
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await t.close();
    await sink.close();
  });

  it('reaches the peer exactly once per message with two workers, every row sent with one attempt and one event', async () => {
    workers.push(await startWorkerRuntime(t.infra), await startWorkerRuntime(t.infra));
    const items = Array.from({ length: 10 }, (_, i) => ({ idempotency_key: `slow-${i}`, to: `slow${i}@example.com`, subject: `Slow ${i}`, text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
    const ids: string[] = res.body.results.map((r: { id: string }) => r.id);
    await waitUntil(async () => (await countWhere(t, ids, 'sent')) === 10, { timeoutMs: 30000, what: '10 rows sent' });
    // No send left in flight anywhere: whatever reached the peer has been counted.
    await waitUntil(() => queueIdle(t), { timeoutMs: 10000, what: 'the queue to be idle' });
    expect(messageIdsAt(sink).sort()).toEqual([...ids].sort());
    const attempts = await t.database.db.selectFrom('delivery_attempts').select(['message_id', 'outcome']).where('message_id', 'in', ids).execute();
    expect(attempts.filter((a) => a.outcome === 'sent')).toHaveLength(10);
    const events = await t.database.db.selectFrom('message_events').select(['message_id', 'type']).where('message_id', 'in', ids).execute();
    expect(events.map((e) => e.type)).toEqual(Array(10).fill('sent'));
  });

  it('refuses to cancel a message that is being sent (409), and it ends sent', async () => {
    sink.holdNext(1);
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'busy@example.com', subject: 'Busy', text: 'hi' }).expect(202);
    await sink.waitForHeld(1);
    const cancel = await request(t.app).post(`/api/notify/${res.body.id}/cancel`).set('Authorization', adminBearer).expect(409);
    expect(cancel.body.detail).toMatch(/sending/);
    sink.release();
    await waitUntil(async () => (await countWhere(t, [res.body.id], 'sent')) === 1, { timeoutMs: 15000, what: 'the busy message to be sent' });
  });

  it('a write from a stale claim changes nothing, and says so in the log and a metric', async () => {
    const ledger = new DeliveryLedger(t.database.db, 60_000);
    const res = await request(t.app)
      .post('/api/notify')
      .set('Authorization', adminBearer)
      .send({ to: 'stale@example.com', subject: 'Stale', text: 'hi', send_at: new Date(Date.now() + 3_600_000).toISOString() })
      .expect(202);
    const id = res.body.id as string;
    const claimed = await ledger.claim(id, 0);
    expect(claimed).toBeDefined();
    // Another party takes the row over after the lease ran out (a sweeper on another replica).
    await sql`update messages set lease_until = now() - interval '1 second' where id = ${id}`.execute(t.database.db);
    expect((await reclaimExpired(t.database.db, [id])).map((row) => row.id)).toEqual([id]);
    const attempt = { messageId: id, attempt: 1, tries: [{ provider: 'smtp', outcome: 'sent' as const, durationMs: 5 }] };
    expect(await ledger.markSent(claimed?.claim ?? { id, token: '' }, 'smtp', '<x@y>', attempt)).toBe(false);
    expect(await ledger.markFailed(claimed?.claim ?? { id, token: '' }, { error: 'e', permanent: true, provider: 'smtp' }, attempt)).toBe(false);
    expect(await ledger.markRetrying(claimed?.claim ?? { id, token: '' }, 'e', attempt)).toBe(false);
    const row = await t.database.db.selectFrom('messages').select(['status', 'provider']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'queued', provider: null });
    expect(await t.database.db.selectFrom('delivery_attempts').select('id').where('message_id', '=', id).execute()).toEqual([]);
    expect(await t.database.db.selectFrom('message_events').select('id').where('message_id', '=', id).execute()).toEqual([]);
  });

  it('counts stale outcome writes in herald_stale_claim_writes_total when a worker meets one', async () => {
    sink.holdNext(1);
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'overtaken@example.com', subject: 'Overtaken', text: 'hi' }).expect(202);
    const id = res.body.id as string;
    await sink.waitForHeld(1);
    await sql`update messages set lease_until = now() - interval '1 second' where id = ${id}`.execute(t.database.db);
    await reclaimExpired(t.database.db, [id]);
    sink.release();
    await waitUntil(
      async () => valueOf(parseExposition((await t.infra.metrics.exposition()).body), 'herald_stale_claim_writes_total', { transition: 'sent' }) === 1,
      { timeoutMs: 15000, what: 'the stale write to be counted' },
    );
  });
});

describe('the sweeper behind many scheduled rows', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let worker: WorkerRuntime | undefined;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, SWEEPER_GRACE_MS: '200', SWEEPER_INTERVAL_MS: '100' });
  });

  afterAll(async () => {
    await worker?.stop();
    await t.close();
    await sink.close();
  });

  it('re-adds every immediate message after Redis lost its jobs, however many scheduled rows are older', async () => {
    const tomorrow = new Date(Date.now() + 24 * 3_600_000).toISOString();
    const scheduled = Array.from({ length: 600 }, (_, i) => ({ idempotency_key: `later-${i}`, to: `later${i}@example.com`, subject: 'Later', text: 'hi', send_at: tomorrow }));
    await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: scheduled }).expect(202);
    const soonAt = new Date(Date.now() + 1500);
    const soon = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: 'soon@example.com', subject: 'Soon', text: 'hi', send_at: soonAt.toISOString() }).expect(202);
    const now = Array.from({ length: 50 }, (_, i) => ({ idempotency_key: `now-${i}`, to: `now${i}@example.com`, subject: 'Now', text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: now }).expect(202);
    const ids: string[] = res.body.results.map((r: { id: string }) => r.id);
    // Redis restarted without persistence: every job is gone, the rows are not.
    await t.infra.queue.obliterate({ force: true });

    worker = await startWorkerRuntime(t.infra);
    await waitUntil(async () => (await countWhere(t, ids, 'sent')) === 50, { timeoutMs: 30000, what: 'the 50 immediate messages to be sent' });
    // The one due in a moment lost its delayed job too; it goes out once its time has come.
    await waitUntil(async () => (await countWhere(t, [soon.body.id], 'sent')) === 1, { timeoutMs: 15000, what: 'the soon message to be sent' });
    const sent = await t.database.db.selectFrom('messages').select('sent_at').where('id', '=', soon.body.id).executeTakeFirstOrThrow();
    expect(sent.sent_at?.getTime()).toBeGreaterThanOrEqual(soonAt.getTime());
    const later = await t.database.db.selectFrom('messages').select('status').where('idempotency_key', 'like', 'later-%').execute();
    expect(later.every((row) => row.status === 'scheduled')).toBe(true);
    expect(later).toHaveLength(600);
  });
});

describe('the sweeper walking past rows whose jobs are alive', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SWEEPER_GRACE_MS: '0' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('reaches missing jobs behind more than a page of waiting rows whose jobs are still there', async () => {
    // No worker runs: 600 queued rows keep their jobs, and the 50 newest lose theirs.
    await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: notificationBatch(600, 'alive-') }).expect(202);
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items: notificationBatch(50, 'lost-') }).expect(202);
    const lost: string[] = res.body.results.map((r: { id: string }) => r.id);
    await Promise.all(lost.map(async (id) => (await t.infra.queue.getJob(id))?.remove()));

    const sweeper = new Sweeper(t.infra.db, t.infra.queue, new MessageEnqueuer(t.infra.queue, t.infra.db, t.config, t.infra.logger), t.config);
    const hasJob = async () => (await Promise.all(lost.map((id) => t.infra.queue.getJob(id)))).every((job) => job !== undefined);
    // One page a pass: the second pass gets past the 600 to the 50.
    let passes = 0;
    while (!(await hasJob()) && passes < 5) {
      await sweeper.sweep();
      passes += 1;
    }
    expect(await hasJob()).toBe(true);
    expect(passes).toBeLessThanOrEqual(2);
  });
});

describe('retrying a message whose failed job is still active', () => {
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    // A long grace: the sweeper must not be what rescues the messages; the retry API must.
    t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, SWEEPER_GRACE_MS: '600000' });
  });

  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('answers 202 only with a job behind it, and every message ends sent', async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ idempotency_key: `retry-${i}`, to: `retry${i}@example.com`, subject: `Retry ${i}`, text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
    const ids: string[] = res.body.results.map((r: { id: string }) => r.id);

    // A worker in the middle of failing each message: its jobs stay active until the gate opens.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const connection = createRedis(t.config.redisUrl);
    const failing = new Worker(
      QUEUE_NAMES.deliveries,
      async () => {
        await gate;
        throw new UnrecoverableError('550 refused');
      },
      { connection, prefix: t.config.queuePrefix, concurrency: 20 },
    );
    await waitUntil(async () => (await t.infra.queue.getJobCounts('active')).active === 20, { what: '20 active jobs' });
    await sql`update messages set status = 'failed', error_message = '550 refused' where id in (${sql.join(ids)})`.execute(t.database.db);

    // 50 concurrent callers over the 20 messages.
    const calls = Array.from({ length: 50 }, (_, i) => request(t.app).post(`/api/messages/${ids[i % 20] ?? ''}/retry`).set('Authorization', adminBearer));
    const answers = Promise.all(calls.map((call) => call.then((r) => r)));
    await waitUntil(async () => (await countWhere(t, ids, 'queued')) === 20, { what: 'every row queued by a retry' });
    // The failing worker takes no new job, then lets its active ones fail.
    await failing.pause(true);
    open();
    const responses = await answers;
    await failing.close();
    connection.disconnect();

    const accepted = responses.filter((r) => r.status === 202);
    expect(responses.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    expect(new Set(accepted.map((r) => r.body.id as string))).toEqual(new Set(ids));
    for (const answer of accepted) {
      expect(answer.body.status).toBe('queued');
      expect(['waiting', 'prioritized', 'delayed']).toContain(await (await t.infra.queue.getJob(answer.body.id))?.getState());
    }

    const worker = await startWorkerRuntime(t.infra);
    try {
      await waitUntil(async () => (await countWhere(t, ids, 'sent')) === 20, { timeoutMs: 20000, what: 'every retried message to be sent' });
    } finally {
      await worker.stop();
    }
    expect(messageIdsAt(sink).sort()).toEqual([...ids].sort());
  });
});

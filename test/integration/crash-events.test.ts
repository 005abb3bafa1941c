import { sql } from 'kysely';
import request from 'supertest';
import { freePort, type HeraldProcess, spawnHerald } from '../support/herald-process';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// Issue 11: what the record says happened and what subscribers are told never disagree, even
// when workers die mid-send (the event is written by the transition's own statement).

const admin = `Bearer ${ADMIN_KEY}`;
let sink: SmtpSink;
let t: TestApp;
const processes: HeraldProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url });
});

afterAll(async () => {
  for (const p of processes) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await t.close();
  await sink.close();
});

async function startWorker(): Promise<HeraldProcess> {
  const worker = spawnHerald(['serve', '--role', 'worker'], {
    DATABASE_URL: t.config.databaseUrl,
    REDIS_URL: t.config.redisUrl,
    QUEUE_PREFIX: t.config.queuePrefix,
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    LEASE_MS: '2000',
    SWEEPER_INTERVAL_MS: '250',
    SWEEPER_GRACE_MS: '1000',
    WORKER_CONCURRENCY: '10',
    WORKER_HTTP_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  });
  processes.push(worker);
  await worker.waitForLine(/"msg":"worker started"/, 30000);
  return worker;
}

async function kill(worker: HeraldProcess): Promise<void> {
  worker.kill('SIGKILL');
  await worker.exited;
}

describe('status and events agree through SIGKILLed workers', () => {
  it('500 messages: every row sent with exactly one sent event and no other', async () => {
    const first = await startWorker();
    const second = await startWorker();
    const before = sink.messages.length;
    const items = Array.from({ length: 500 }, (_, i) => ({ idempotency_key: `killed-${i}`, to: `k${i}@example.com`, subject: `Killed ${i}`, text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', admin).send({ items }).expect(202);
    const ids: string[] = res.body.results.map((r: { id: string }) => r.id);

    await sink.waitFor(before + 100, 30000);
    await kill(first);
    const third = await startWorker();
    await sink.waitFor(before + 250, 30000);
    await kill(second);
    await startWorker();
    await sink.waitFor(before + 400, 30000);
    await kill(third);

    await waitUntil(
      async () => {
        const row = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'sent').where('id', 'in', ids).executeTakeFirstOrThrow();
        return row.n === 500;
      },
      { timeoutMs: 60000, what: '500 rows sent' },
    );
    // One row per message: its status beside the events its transitions wrote.
    const agreement = await sql<{ status: string; events: string[] }>`
      select m.status, coalesce(array_agg(e.type order by e.id) filter (where e.id is not null), '{}') as events
        from messages m left join message_events e on e.message_id = m.id
       where m.id in (${sql.join(ids)})
       group by m.id, m.status`.execute(t.database.db);
    expect(agreement.rows).toHaveLength(500);
    const disagreeing = agreement.rows.filter((row) => row.status !== 'sent' || row.events.length !== 1 || row.events[0] !== 'sent');
    expect(disagreeing).toEqual([]);
    // At-least-once at the peer: a message whose worker died after the peer took it may arrive twice, never lost.
    const received = new Set(sink.messages.slice(before).map((m) => m.parsed.messageId?.slice(1).split('@')[0]));
    expect(received).toEqual(new Set(ids));
  });
});

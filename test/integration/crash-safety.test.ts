import { sql } from 'kysely';
import request from 'supertest';
import { adminBearer } from '../support/fixtures';
import { type HeraldProcess, startWorkerProcess } from '../support/herald-process';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

let sink: SmtpSink;
let t: TestApp;
const processes: HeraldProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url });
});

afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await t.close();
  await sink.close();
});

async function startWorker(): Promise<HeraldProcess> {
  const worker = await startWorkerProcess(t.config, { MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, WORKER_CONCURRENCY: '10' });
  processes.push(worker);
  return worker;
}

async function notify(to: string): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to, subject: 'Crash test', text: 'hi' }).expect(202);
  return res.body.id as string;
}

async function kill(worker: HeraldProcess): Promise<void> {
  worker.kill('SIGKILL');
  await worker.exited;
}

const statusOf = async (id: string) =>
  (await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('crash safety with real worker processes', () => {
  it('delivers a message whose worker was killed with SIGKILL in the middle of the send', async () => {
    const doomed = await startWorker();
    sink.holdNext(1);
    const id = await notify('crash@example.com');
    await sink.waitForHeld(1);
    expect(await statusOf(id)).toBe('sending');
    doomed.kill('SIGKILL');
    await doomed.exited;
    sink.release();

    await startWorker();
    await waitUntil(async () => (await statusOf(id)) === 'sent', { timeoutMs: 30000, what: 'the orphaned message to be sent' });
    const copies = sink.messages.filter((m) => m.parsed.messageId === `<${id}@herald.localhost>`);
    // At-least-once: the first copy may have reached the peer before the crash; every copy has the same Message-ID.
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies.length).toBeLessThanOrEqual(2);
  });

  it('delivers 500 messages exactly once with two worker processes', async () => {
    await Promise.all([startWorker(), startWorker()]);
    const before = sink.messages.length;
    const items = Array.from({ length: 500 }, (_, i) => ({ idempotency_key: `two-workers-${i}`, to: `r${i}@example.com`, subject: `Message ${i}`, text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
    expect(res.body.accepted).toBe(500);
    const ids = new Set<string>(res.body.results.map((r: { id: string }) => r.id));
    await sink.waitFor(before + 500, 60000);
    await waitUntil(
      async () => {
        const row = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'sent').where('id', 'in', [...ids]).executeTakeFirstOrThrow();
        return row.n === 500;
      },
      { timeoutMs: 30000, what: '500 rows sent' },
    );
    const received = sink.messages.slice(before).map((m) => m.parsed.messageId?.slice(1).split('@')[0]);
    expect(received).toHaveLength(500);
    expect(new Set(received)).toEqual(ids);
  });

  it('finishes an in-flight send on SIGTERM and exits 0', async () => {
    const worker = await startWorker();
    sink.holdNext(1);
    const before = sink.messages.length;
    const id = await notify('graceful@example.com');
    await sink.waitForHeld(1);
    worker.kill('SIGTERM');
    await worker.waitForLine(/"msg":"shutting down"/);
    sink.release();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await statusOf(id)).toBe('sent');
    expect(sink.messages.slice(before).map((m) => m.parsed.messageId)).toEqual([`<${id}@herald.localhost>`]);
  });
});

// Issue 11: what the record says happened and what subscribers are told never disagree, even
// when workers die mid-send (the event is written by the transition's own statement).
describe('status and events agree through SIGKILLed workers', () => {
  it('500 messages: every row sent with exactly one sent event and no other', async () => {
    const first = await startWorker();
    const second = await startWorker();
    const before = sink.messages.length;
    const items = Array.from({ length: 500 }, (_, i) => ({ idempotency_key: `killed-${i}`, to: `k${i}@example.com`, subject: `Killed ${i}`, text: 'hi' }));
    const res = await request(t.app).post('/api/notify/batch').set('Authorization', adminBearer).send({ items }).expect(202);
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
    // Four worker processes start from source here, one after another: more than jest's default minute on a loaded machine.
  }, 240_000);
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type DeliveryEventFilter, DeliveryEventReader, matchesFilter, parseSince, type StoredDeliveryEvent } from '../../services/tail/delivery-event-reader';
import { deliveryEventsKey } from '../../services/platform/redis-keys';
import { type DeliveryEvent, DeliveryEventPublisher, deliveryEventSchema } from '../../services/tail/delivery-events';
import { formatEvent, parseTailArgs } from '../../services/tail/tail-command';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer, visitor } from '../support/fixtures';
import { type HeraldProcess, spawnHerald } from '../support/herald-process';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { uniqueQueuePrefix } from '../support/test-db';
import { waitUntil } from '../support/wait';

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;
let reader: DeliveryEventReader;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, RETRY_BASE_DELAY_MS: '20', RETRY_FACTOR: '1' });
  worker = await startWorkerRuntime(t.infra);
  reader = new DeliveryEventReader(t.redis, t.config.queuePrefix);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

async function notify(to: string, subject: string): Promise<string> {
  const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send({ to: [to], subject, text: 'secret body text' }).expect(202);
  return res.body.id as string;
}

/** Reads from `cursor` until `count` events match the filter; polls with non-blocking reads under a deadline. */
async function eventsAfter(cursor: string, filter: DeliveryEventFilter, count: number): Promise<DeliveryEvent[]> {
  const found: DeliveryEvent[] = [];
  let at = cursor;
  await waitUntil(
    async () => {
      const batch = await reader.read(at);
      at = batch.cursor;
      found.push(...batch.events.map((e) => e.event).filter((event) => matchesFilter(event, filter)));
      return found.length >= count;
    },
    { what: `${count} delivery events matching ${JSON.stringify(filter)}` },
  );
  return found;
}

describe('delivery events from a real worker', () => {
  it('publishes one event per attempt with ids, provider, outcome and timings, and no addresses or content', async () => {
    const cursor = await reader.cursorAt();
    const id = await notify('jane.doe@example.com', 'Quarterly numbers');
    const [event] = await eventsAfter(cursor, { id }, 1);
    expect(event).toMatchObject({ messageId: id, kind: 'notification', attempt: 1, maxAttempts: 4, outcome: 'sent', status: 'sent', provider: 'smtp', errorClass: null });
    expect(event?.worker).toBe(worker.workerId);
    expect(event?.tries).toEqual([{ provider: 'smtp', outcome: 'sent', errorClass: null, durationMs: expect.any(Number) }]);
    const raw = JSON.stringify(event);
    expect(raw).not.toContain('@');
    expect(raw).not.toContain('Quarterly');
    expect(raw).not.toContain('secret body text');
  });

  it('classifies failures without quoting the provider answer, and tells retrying from failed', async () => {
    const cursor = await reader.cursorAt();
    sink.rejectNextRecipients(1, 451);
    const retried = await notify('retry.me@example.com', 'Retry');
    const [first, second] = await eventsAfter(cursor, { id: retried }, 2);
    expect(first).toMatchObject({ attempt: 1, outcome: 'transient', status: 'retrying', provider: 'smtp', errorClass: 'transient:451' });
    expect(second).toMatchObject({ attempt: 2, outcome: 'sent', status: 'sent' });

    sink.rejectNextRecipients(1, 550);
    const bounced = await notify('nobody.home@example.com', 'Bounce');
    const [failed] = await eventsAfter(cursor, { id: bounced }, 1);
    expect(failed).toMatchObject({ attempt: 1, outcome: 'permanent', status: 'failed', provider: 'smtp', errorClass: 'permanent:550' });
    expect(JSON.stringify(failed)).not.toContain('nobody.home');
  });

  it('filters by kind, status, provider and id (or the start of one)', async () => {
    const cursor = await reader.cursorAt();
    const contact = (await request(t.app).post('/api/contact').send(visitor).expect(202)).body.id as string;
    // One at a time, so that the rejection meets the notification and not the contact message.
    await eventsAfter(cursor, { id: contact }, 1);
    sink.rejectNextRecipients(1, 550);
    const failed = await notify('gone@example.com', 'Gone');
    await eventsAfter(cursor, {}, 2);
    const all = (await reader.read(cursor)).events.map((e) => e.event);
    const ids = (filter: DeliveryEventFilter) => all.filter((event) => matchesFilter(event, filter)).map((event) => event.messageId);
    expect(ids({ kind: 'contact' })).toEqual([contact]);
    expect(ids({ kind: 'notification' })).toEqual([failed]);
    expect(ids({ status: 'failed' })).toEqual([failed]);
    expect(ids({ status: 'permanent' })).toEqual([failed]);
    expect(ids({ status: 'sent' })).toEqual([contact]);
    expect(ids({ provider: 'smtp' })).toHaveLength(2);
    expect(ids({ provider: 'sendgrid' })).toEqual([]);
    expect(ids({ id: contact.slice(0, 8) })).toEqual([contact]);
    expect(ids({ kind: 'contact', status: 'failed' })).toEqual([]);
  });

  it('follows new events with a blocking read, and replays the past with since', async () => {
    const stop = new AbortController();
    const seen: StoredDeliveryEvent[] = [];
    const id = await notify('follow@example.com', 'Follow');
    const following = (async () => {
      for await (const stored of reader.follow({ since: new Date(Date.now() - 60_000), filter: { id }, signal: stop.signal, blockMs: 200 })) {
        seen.push(stored);
        stop.abort();
      }
    })();
    await following;
    expect(seen.map((s) => s.event.messageId)).toEqual([id]);

    // Without since, only what comes after: the event above is not replayed.
    const live = new AbortController();
    const liveSeen: string[] = [];
    let onFollowing: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (onFollowing = resolve));
    const liveLoop = (async () => {
      for await (const stored of reader.follow({ filter: { kind: 'notification' }, signal: live.signal, blockMs: 200, onFollowing })) {
        liveSeen.push(stored.event.messageId);
        live.abort();
      }
    })();
    await started;
    const next = await notify('live@example.com', 'Live');
    await liveLoop;
    expect(liveSeen).toEqual([next]);
  });

  it('keeps the stream capped (MAXLEN ~, so within one stream node of the cap)', async () => {
    const prefix = uniqueQueuePrefix();
    const publisher = new DeliveryEventPublisher(t.redis, prefix, 'capped', (error) => {
      throw error;
    }, 10);
    const result = { outcome: 'sent', provider: 'smtp', providerMessageId: 'x', tries: [{ provider: 'smtp', outcome: 'sent', durationMs: 1 }] } as const;
    for (let i = 0; i < 500; i += 1) publisher.onAttempt({ id: randomUUID(), kind: 'contact', attempt: 1, maxAttempts: 4 }, result, 1);
    await publisher.flush();
    try {
      const length = await t.redis.xlen(deliveryEventsKey(prefix));
      expect(length).toBeGreaterThanOrEqual(10);
      expect(length).toBeLessThanOrEqual(110);
    } finally {
      await t.redis.del(deliveryEventsKey(prefix));
    }
  });
});

describe('herald tail, the real CLI', () => {
  // ts-node compiles the CLI at start; on a loaded machine that alone takes many seconds.
  const STARTUP_MS = 45_000;
  let tail: HeraldProcess | undefined;
  const env = () => ({ DATABASE_URL: t.config.databaseUrl, REDIS_URL: t.config.redisUrl, QUEUE_PREFIX: t.config.queuePrefix, LOG_LEVEL: 'silent' });

  afterEach(async () => {
    tail?.kill('SIGTERM');
    if (tail !== undefined) await tail.exited;
    tail = undefined;
  });

  it('prints the attempt of one message as a JSON line with --json --id', async () => {
    // The sink holds the message mid-send, so the attempt ends only after the tail has started.
    sink.holdNext(1);
    const id = await notify('cli@example.com', 'CLI');
    await sink.waitForHeld(1);
    tail = spawnHerald(['tail', '--json', '--id', id], env());
    await tail.waitForLine(/^herald tail: following/, STARTUP_MS);
    sink.release();
    const line = await tail.waitForLine(new RegExp(`"messageId":"${id}"`), STARTUP_MS);
    const event = deliveryEventSchema.parse(JSON.parse(line));
    expect(event).toMatchObject({ messageId: id, status: 'sent', provider: 'smtp' });
    tail.kill('SIGTERM');
    expect(await tail.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('prints human-readable lines, replaying the past with --since and filtering with --kind', async () => {
    const contact = (await request(t.app).post('/api/contact').send(visitor).expect(202)).body.id as string;
    await waitUntil(async () => (await reader.read('0-0')).events.some((e) => e.event.messageId === contact), { what: 'the contact event' });
    tail = spawnHerald(['tail', '--since', '10m', '--kind', 'contact'], env());
    const line = await tail.waitForLine(new RegExp(contact), STARTUP_MS);
    expect(line).toMatch(new RegExp(`^\\S+Z  sent {6}contact {7}${contact}  attempt 1/4  smtp sent \\d+ms  total \\d+ms$`));
    expect(tail.lines.filter((l) => l.includes('notification'))).toEqual([]);
  }, 120_000);

  it('rejects bad arguments with exit code 2', async () => {
    tail = spawnHerald(['tail', '--status', 'bogus'], env());
    const { code } = await tail.exited;
    expect(code).toBe(2);
    expect(tail.lines.join('\n')).toMatch(/--status must be one of/);
  }, 120_000);
});

describe('tail arguments and format', () => {
  it('parses --since as a duration or an ISO time', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(parseSince('10m', now)?.toISOString()).toBe('2026-01-01T11:50:00.000Z');
    expect(parseSince('90s', now)?.toISOString()).toBe('2026-01-01T11:58:30.000Z');
    expect(parseSince('2h', now)?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(parseSince('1d', now)?.toISOString()).toBe('2025-12-31T12:00:00.000Z');
    expect(parseSince('2026-01-01T11:00:00Z', now)?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(parseSince('yesterday', now)).toBeUndefined();
    expect(parseSince('10x', now)).toBeUndefined();
  });

  it('validates filters', () => {
    expect(parseTailArgs(['--json', '--kind', 'contact', '--status', 'retrying', '--provider', 'smtp', '--id', 'ABC'])).toEqual({
      json: true,
      since: undefined,
      filter: { kind: 'contact', status: 'retrying', provider: 'smtp', id: 'ABC' },
    });
    expect(() => parseTailArgs(['--kind', 'sms'])).toThrow(/--kind must be one of/);
    expect(() => parseTailArgs(['--provider', 'ses'])).toThrow(/--provider/);
    expect(() => parseTailArgs(['--since', 'soon'])).toThrow(/--since/);
    expect(() => parseTailArgs(['--id', "x' or 1=1"])).toThrow(/--id/);
    expect(() => parseTailArgs(['--nope'])).toThrow(/Unknown option/);
  });

  it('formats a failed attempt with each provider try and its error class', () => {
    const line = formatEvent({
      at: '2026-01-01T12:00:00.000Z',
      messageId: '8d7f0a52-0000-4000-8000-000000000000',
      kind: 'notification',
      attempt: 2,
      maxAttempts: 4,
      outcome: 'transient',
      status: 'retrying',
      provider: 'smtp',
      errorClass: 'transient:ECONNREFUSED',
      durationMs: 40,
      worker: 'w1',
      tries: [
        { provider: 'sendgrid', outcome: 'skipped', errorClass: 'circuit-open', durationMs: 0 },
        { provider: 'smtp', outcome: 'transient', errorClass: 'transient:ECONNREFUSED', durationMs: 39 },
      ],
    });
    expect(line).toBe(
      '2026-01-01T12:00:00.000Z  retrying  notification  8d7f0a52-0000-4000-8000-000000000000  attempt 2/4  sendgrid skipped (circuit-open) 0ms -> smtp transient (transient:ECONNREFUSED) 39ms  total 40ms',
    );
  });
});

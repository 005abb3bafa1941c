import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createApiApp, createServices, type Infrastructure, openInfrastructure } from '../../services/app';
import { requestId } from '../../services/platform/http';
import { withLogContext } from '../../services/platform/log-context';
import { createLogger } from '../../services/platform/logger';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer, notification, visitor } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

type Line = Record<string, unknown>;

/** A logger of the given role whose JSON lines are kept in `lines`. */
function capturingLogger(role: string) {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', role }, stream), lines };
}

let sink: SmtpSink;
let t: TestApp;
let apiLog: ReturnType<typeof capturingLogger>;
let workerLog: ReturnType<typeof capturingLogger>;
let apiInfra: Infrastructure;
let workerInfra: Infrastructure;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url, RETRY_BASE_DELAY_MS: '20' });
  apiLog = capturingLogger('api');
  workerLog = capturingLogger('worker');
  apiInfra = openInfrastructure(t.config, apiLog.logger, { dbPoolSize: 2 });
  workerInfra = openInfrastructure(t.config, workerLog.logger, { dbPoolSize: 4 });
  worker = await startWorkerRuntime(workerInfra);
});

afterAll(async () => {
  await worker.stop();
  await workerInfra.close();
  await apiInfra.close();
  await t.close();
  await sink.close();
});

describe('log lines', () => {
  it('carry the ids of the context they were written in, and nothing outside one', () => {
    const { logger, lines } = capturingLogger('test');
    withLogContext({ reqId: 'req-1' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({ role: 'test', reqId: 'req-1', msg: 'inside' });
    expect(lines[1]).not.toHaveProperty('reqId');
  });

  it('keep their own fields: the next line in the same context does not inherit them', () => {
    const { logger, lines } = capturingLogger('test');
    withLogContext({ reqId: 'req-2' }, () => {
      logger.info({ err: new Error('first'), to: 'someone' }, 'first');
      logger.info('second');
    });
    expect(lines[0]).toMatchObject({ reqId: 'req-2', err: { message: 'first' }, msg: 'first' });
    expect(lines[1]).toEqual({ level: 30, time: expect.any(String), role: 'test', reqId: 'req-2', msg: 'second' });
  });

  it('written while serving a request carry the role and its request id', async () => {
    const app = createApiApp(apiInfra, createServices(apiInfra));
    const seen = apiLog.lines.length;
    await request(app).post('/api/contact').set('X-Request-Id', 'req-log-ctx-1').send(visitor).expect(202);
    await request(app).get('/no/such/route').expect(404);
    const access = apiLog.lines.slice(seen).filter((line) => line.msg === 'request completed');
    expect(access).toHaveLength(2);
    for (const line of access) expect(line).toMatchObject({ role: 'api', reqId: expect.any(String) });
    expect(access[0]?.reqId).toBe('req-log-ctx-1');
    for (const line of apiLog.lines) expect(line.role).toBe('api');
  });

  it('written by code a request calls, after awaits, carry its request id', async () => {
    const app = express();
    app.use(requestId());
    app.get('/deep', async (_req, res) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await t.database.db.selectFrom('api_keys').select('id').execute();
      apiLog.logger.info('deep in a service');
      res.json({});
    });
    await request(app).get('/deep').set('X-Request-Id', 'req-deep-1').expect(200);
    expect(apiLog.lines.find((line) => line.msg === 'deep in a service')).toMatchObject({ role: 'api', reqId: 'req-deep-1' });
  });

  it('of a worker carry the role and the job id, one line per attempt with message id, provider, outcome, duration and error class', async () => {
    // Whatever an earlier test left to send goes first, so that the rejection meets this message.
    await waitUntil(async () => {
      const busy = await t.database.db.selectFrom('messages').select('id').where('status', '!=', 'sent').execute();
      return busy.length === 0;
    });
    sink.rejectNextRecipients(1, 451);
    const res = await request(t.app).post('/api/notify').set('Authorization', adminBearer).send(notification).expect(202);
    const id = res.body.id as string;
    const attempts = await waitUntil(() => {
      const lines = workerLog.lines.filter((line) => line.messageId === id);
      return lines.some((line) => line.outcome === 'sent') ? lines : undefined;
    });
    expect(attempts).toEqual([
      expect.objectContaining({ role: 'worker', jobId: id, attempt: 1, outcome: 'retry', provider: 'smtp', errorClass: 'transient:451', durationMs: expect.any(Number) }),
      expect.objectContaining({ role: 'worker', jobId: id, attempt: 2, outcome: 'sent', provider: 'smtp', durationMs: expect.any(Number) }),
    ]);
    for (const line of workerLog.lines) expect(line.role).toBe('worker');
  });
});

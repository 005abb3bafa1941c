// The forty-line version Herald is measured against: validate three fields, one INSERT, one queue.add.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { BASELINE_JOB_OPTIONS, BASELINE_QUEUE } from './schema';

const env = (name: string): string => process.env[name] ?? '';
const pool = new Pool({ connectionString: env('DATABASE_URL') });
const queue = new Queue(BASELINE_QUEUE, { connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }), prefix: env('QUEUE_PREFIX') });

const app = express();
app.post('/api/notify', express.json(), (req, res, next) => {
  const { to, subject, text } = (req.body ?? {}) as Record<string, unknown>;
  if (typeof to !== 'string' || !to.includes('@') || typeof subject !== 'string' || subject === '' || typeof text !== 'string') {
    res.status(422).json({ error: 'to, subject and text are required' });
    return;
  }
  const key = req.get('idempotency-key') ?? randomUUID();
  pool
    .query<{ id: string }>(
      'insert into baseline_messages (idempotency_key, "to", subject, text) values ($1, $2, $3, $4) on conflict (idempotency_key) do nothing returning id',
      [key, to, subject, text],
    )
    .then(async ({ rows }) => {
      const id = rows[0]?.id;
      if (id !== undefined) await queue.add('deliver', { id }, { ...BASELINE_JOB_OPTIONS, jobId: id });
      res.status(202).json({ id, status: 'queued' });
    })
    .catch(next);
});
app.listen(Number(env('PORT')), '127.0.0.1', () => console.log('ready'));

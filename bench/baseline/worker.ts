// The baseline's worker: read the row, send through pooled nodemailer, mark it sent.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { BASELINE_QUEUE } from './schema';

const env = (name: string): string => process.env[name] ?? '';
const pool = new Pool({ connectionString: env('DATABASE_URL') });
const transport = nodemailer.createTransport({ url: env('SMTP_URL'), pool: true });

interface Row {
  id: string;
  to: string;
  subject: string;
  text: string;
  status: string;
}

const worker = new Worker<{ id: string }>(
  BASELINE_QUEUE,
  async (job) => {
    const { rows } = await pool.query<Row>('select * from baseline_messages where id = $1', [job.data.id]);
    const row = rows[0];
    if (row === undefined || row.status === 'sent') return;
    await transport.sendMail({ from: 'Baseline <baseline@localhost>', to: row.to, subject: row.subject, text: row.text, messageId: `<${row.id}@baseline.localhost>` });
    await pool.query("update baseline_messages set status = 'sent', sent_at = now() where id = $1", [row.id]);
  },
  { connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }), prefix: env('QUEUE_PREFIX'), concurrency: Number(env('CONCURRENCY')) },
);
worker.on('error', (error) => console.error(error));
process.on('SIGTERM', () => {
  void worker.close().finally(() => process.exit(0));
});
void worker.waitUntilReady().then(() => console.log('ready'));

import { sql } from 'kysely';
import request from 'supertest';
import { createApiApp, createServices, type Infrastructure, openInfrastructure } from '../../services/app';
import { migrateToLatest } from '../../migrations/migrate';
import { loadConfig } from '../../services/platform/config';
import { createLogger } from '../../services/platform/logger';
import { createTestDatabase, type TestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-db';
import { ADMIN_KEY, adminBearer } from '../support/fixtures';

// A database filled under the wave-1 schema (one table per kind), rows in every status, then
// migrated: every row keeps its id, status and attempts, and the API answers as before.

const STATUSES = ['pending', 'queued', 'scheduled', 'sending', 'sent', 'failed', 'cancelled', 'suppressed'];
let database: TestDatabase;
let infra: Infrastructure;

const contactId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const notificationId = (i: number) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase({ migrateTo: '20261122000000_core_tables' });
  const db = database.db;
  for (const [i, status] of STATUSES.entries()) {
    await sql`
      insert into contact_messages (id, client_id, idempotency_key, request_hash, name, email, message, source_ip, user_agent,
                                    suppression_reason, status, retry_count, error_message, provider, provider_message_id, sent_at)
      values (${contactId(i)}, 'public', ${`contact-${status}`}, 'h', ${`Visitor ${status}`}, ${`v${i}@example.com`}, ${`Message ${status}`},
              '203.0.113.9', 'curl/8', ${status === 'suppressed' ? 'honeypot' : null}, ${status}, ${i % 3}, ${status === 'failed' ? '550 no' : null},
              ${status === 'sent' ? 'smtp' : null}, ${status === 'sent' ? '<p@x>' : null}, ${status === 'sent' ? new Date('2026-11-20T10:00:00Z') : null})`.execute(db);
    await sql`
      insert into notifications (id, client_id, idempotency_key, request_hash, "to", cc, subject, text_body, html_body, metadata, tags,
                                 provider_hint, use_fallback, priority, send_at, status, retry_count)
      values (${notificationId(i)}, 'admin', ${`notify-${status}`}, 'h', ${['n@example.com']}, ${['c@example.com']}, ${`Subject ${status}`},
              'text', '<p>html</p>', '{"order": 7}', ${['billing']}, 'smtp', false, 3,
              ${status === 'scheduled' ? new Date('2030-01-01T00:00:00Z') : null}, ${status}, ${i})`.execute(db);
    await sql`
      insert into delivery_attempts (message_kind, message_id, attempt, provider, outcome, error, duration_ms)
      values ('contact', ${contactId(i)}, 1, 'smtp', 'transient', 'timeout', 12), ('notification', ${notificationId(i)}, 1, 'sendgrid', 'sent', null, 30)`.execute(db);
  }
  await migrateToLatest(db);
  const config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: uniqueQueuePrefix(), HERALD_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent' });
  infra = openInfrastructure(config, createLogger({ level: 'silent', role: 'test' }), { dbPoolSize: 2 });
});

afterAll(async () => {
  await infra.close();
  await database.destroy();
});

describe('migration to one message record', () => {
  it('moves every row with its id, kind and status, and drops the old tables', async () => {
    const rows = await database.db.selectFrom('messages').select(['id', 'kind', 'status', 'retry_count']).orderBy('id').execute();
    expect(rows).toEqual([
      ...STATUSES.map((status, i) => ({ id: contactId(i), kind: 'contact', status, retry_count: i % 3 })),
      ...STATUSES.map((status, i) => ({ id: notificationId(i), kind: 'notification', status, retry_count: i })),
    ]);
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(database.db);
    expect(tables.rows.map((t) => t.name)).not.toEqual(expect.arrayContaining(['contact_messages']));
    expect(tables.rows.map((t) => t.name)).not.toEqual(expect.arrayContaining(['notifications']));
  });

  it('keeps every attempt, now tied to its message by a foreign key', async () => {
    const attempts = await database.db.selectFrom('delivery_attempts').select(['message_id', 'provider', 'outcome']).orderBy('message_id').execute();
    expect(attempts).toHaveLength(STATUSES.length * 2);
    await expect(
      sql`insert into delivery_attempts (message_id, attempt, provider, outcome, duration_ms) values (${contactId(99)}, 1, 'smtp', 'sent', 1)`.execute(database.db),
    ).rejects.toThrow(/foreign key/);
  });

  it('answers the API as before: contact fields, notification fields and attempts', async () => {
    const app = createApiApp(infra, createServices(infra));
    const contact = await request(app).get(`/api/contact/${contactId(4)}`).set('Authorization', adminBearer).expect(200);
    expect(contact.body).toMatchObject({
      id: contactId(4),
      status: 'sent',
      name: 'Visitor sent',
      email: 'v4@example.com',
      message: 'Message sent',
      provider: 'smtp',
      provider_message_id: '<p@x>',
      sent_at: '2026-11-20T10:00:00.000Z',
    });
    const notification = await request(app).get(`/api/notify/${notificationId(2)}`).set('Authorization', adminBearer).expect(200);
    expect(notification.body).toMatchObject({
      id: notificationId(2),
      status: 'scheduled',
      to: ['n@example.com'],
      cc: ['c@example.com'],
      subject: 'Subject scheduled',
      html: '<p>html</p>',
      metadata: { order: 7 },
      tags: ['billing'],
      provider_hint: 'smtp',
      use_fallback: false,
      priority: 3,
      send_at: '2030-01-01T00:00:00.000Z',
      attempts: [expect.objectContaining({ attempt: 1, provider: 'sendgrid', outcome: 'sent' })],
      events: [],
    });
    const list = await request(app).get('/api/contact?status=failed').set('Authorization', adminBearer).expect(200);
    expect(list.body.results.map((r: { id: string }) => r.id)).toEqual([contactId(5)]);
  });

  it('keeps idempotency: replaying a moved contact message with its key answers the stored row', async () => {
    const app = createApiApp(infra, createServices(infra));
    // The stored request hash ('h') is not this body's, so the replay is refused rather than duplicated.
    const res = await request(app).post('/api/contact').set('Idempotency-Key', 'contact-sent').send({ name: 'Visitor sent', email: 'v4@example.com', message: 'x' });
    expect(res.status).toBe(422);
    expect((await database.db.selectFrom('messages').select('id').where('idempotency_key', '=', 'contact-sent').execute()).map((r) => r.id)).toEqual([contactId(4)]);
  });
});

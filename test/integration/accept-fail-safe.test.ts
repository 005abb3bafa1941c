import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { AcceptRequest } from '../../services/messages/acceptance';
import { JWT_SECRET, startTestApp, type TestApp } from '../support/test-app';
import { MessageAcceptance } from '../../services/messages/acceptance';
import { MessageEnqueuer } from '../../services/messages/enqueuer';
import { MessageRepository } from '../../services/messages/repository';

// Issue 19, item 2: a grouped INSERT refused for one member's value must not fail the others.
// Validation refuses every such value it knows of, so the fail-safe is driven from below the
// HTTP edge here, with a draft validation would have stopped.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t.close();
});

function draft(key: string, subject: string): AcceptRequest {
  return {
    now: new Date(),
    draft: { kind: 'notification', client_id: 'fail-safe', idempotency_key: key, request_hash: `hash-${key}`, to: ['a@example.com'], subject, text_body: 'hi', metadata: '{}' },
  };
}

describe('grouped accept fails safe', () => {
  it('stores the good members of a group one by one when Postgres refuses one value, and says which one', async () => {
    const { db, queue, logger, config } = t.infra;
    const acceptance = new MessageAcceptance(db, new MessageRepository(db), new MessageEnqueuer(queue, db, config, logger), logger);
    const requests = [draft('good-1', 'fine'), draft('bad', 'lone \ud800 surrogate'), draft('good-2', 'also fine')];
    const outcomes = await acceptance.acceptMany(requests);
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'unstorable', 'accepted']);
    const stored = await db.selectFrom('messages').select('idempotency_key').where('client_id', '=', 'fail-safe').orderBy('idempotency_key').execute();
    expect(stored.map((row) => row.idempotency_key)).toEqual(['good-1', 'good-2']);
    // The good ones got their jobs; the bad one has none.
    for (const outcome of outcomes) if (outcome.outcome === 'accepted') expect(await queue.getJob(outcome.row.id)).toBeDefined();
  });

  it('refuses a JWT whose subject could not be stored as a client id', async () => {
    for (const sub of ['lone \ud800', 'nul \u0000', 'x'.repeat(201)]) {
      const token = jwt.sign({ sub, scope: 'notify:send', aud: 'herald' }, JWT_SECRET, { algorithm: 'HS256', expiresIn: 60 });
      const res = await request(t.app).post('/api/notify').set('Authorization', `Bearer ${token}`).send({ to: 'a@example.com', subject: 's', text: 't' });
      expect(res.status).toBe(401);
    }
  });
});

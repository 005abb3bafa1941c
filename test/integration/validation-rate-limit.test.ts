import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';

// Every address checked can cost DNS queries on the operator's resolver: each client has a
// budget of addresses a minute (VALIDATE_RATE_LIMIT), a batch costing one per address.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ VALIDATE_RATE_LIMIT: '5' });
});

afterAll(async () => {
  await t.close();
});

const noDns = { dns: false };

describe('validation rate limit', () => {
  it('charges a batch one per address and refuses past the budget with 429 and Retry-After; other clients keep theirs', async () => {
    const mine = await t.bearerWith('validate');
    const theirs = await t.bearerWith('validate');
    const three = { emails: ['a@example.com', 'b@example.com', 'c@example.com'], checks: noDns };
    await request(t.app).post('/api/validate/batch').set('Authorization', mine).send(three).expect(200);
    await request(t.app).post('/api/validate/email').set('Authorization', mine).send({ email: 'd@example.com', checks: noDns }).expect(200);
    const refused = await request(t.app).post('/api/validate/batch').set('Authorization', mine).send(three).expect(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The refused batch took nothing: the one address left still fits.
    await request(t.app).post('/api/validate/email').set('Authorization', mine).send({ email: 'e@example.com', checks: noDns }).expect(200);
    await request(t.app).post('/api/validate/email').set('Authorization', mine).send({ email: 'f@example.com', checks: noDns }).expect(429);
    await request(t.app).post('/api/validate/batch').set('Authorization', theirs).send(three).expect(200);
  });

  it('charges a job upload one request', async () => {
    const key = await t.bearerWith('validate');
    for (let i = 0; i < 5; i += 1) {
      await request(t.app).post('/api/validate/jobs').set('Authorization', key).set('Content-Type', 'text/plain').send('a@example.com\nb@example.com\n').expect(202);
    }
    await request(t.app).post('/api/validate/jobs').set('Authorization', key).set('Content-Type', 'text/plain').send('a@example.com\n').expect(429);
  });
});

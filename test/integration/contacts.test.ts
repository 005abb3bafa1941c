import request from 'supertest';
import { adminBearer } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// templates.md, Contacts and Conversions: CRUD, filters, import, contact rendering, `converted` events.

let t: TestApp;
let client: string;

beforeAll(async () => {
  t = await startTestApp();
  client = await t.bearerWith('contacts:write', 'templates:write', 'notify:send', 'messages:read');
});

afterAll(async () => {
  await t.close();
});

function csvOf(count: number, badLines: ReadonlyMap<number, string>, prefix: string): string {
  const lines = ['email,first_name,last_name,industry,role'];
  for (let i = 0; i < count; i += 1) {
    const line = lines.length + 1;
    lines.push(badLines.get(line) ?? `${prefix}${i}@example.com,First${i},Last${i},${i % 2 === 0 ? 'retail' : 'banking'},buyer`);
  }
  return `${lines.join('\n')}\n`;
}

describe('contacts', () => {
  it('creates, reads, updates (attributes merged), filters and deletes a contact', async () => {
    const created = await request(t.app)
      .post('/api/contacts')
      .set('Authorization', client)
      .send({ email: 'Grace@Example.com', first_name: 'Grace', attributes: { industry: 'navy', role: 'admiral' } })
      .expect(201);
    expect(created.body).toMatchObject({ email: 'grace@example.com', first_name: 'Grace', subscribed: true, attributes: { industry: 'navy' } });
    const id = created.body.id as string;
    await request(t.app).post('/api/contacts').set('Authorization', client).send({ email: 'grace@example.com' }).expect(409);
    const patched = await request(t.app).patch(`/api/contacts/${id}`).set('Authorization', client).send({ last_name: 'Hopper', attributes: { role: null, company: 'Eckert' }, subscribed: false }).expect(200);
    expect(patched.body).toMatchObject({ last_name: 'Hopper', attributes: { industry: 'navy', company: 'Eckert' }, subscribed: false });
    expect(patched.body.attributes).not.toHaveProperty('role');
    const byAttribute = await request(t.app).get('/api/contacts?attribute.industry=navy&subscribed=false').set('Authorization', client).expect(200);
    expect(byAttribute.body.results.map((c: { id: string }) => c.id)).toEqual([id]);
    const none = await request(t.app).get('/api/contacts?attribute.industry=retail&email=grace@example.com').set('Authorization', client).expect(200);
    expect(none.body.count).toBe(0);
    await request(t.app).delete(`/api/contacts/${id}`).set('Authorization', client).expect(204);
    await request(t.app).get(`/api/contacts/${id}`).set('Authorization', client).expect(404);
  });

  it('contacts are per client', async () => {
    const created = await request(t.app).post('/api/contacts').set('Authorization', client).send({ email: 'private@example.com' }).expect(201);
    const other = await t.bearerWith('contacts:write', 'messages:read', 'notify:send');
    await request(t.app).get(`/api/contacts/${created.body.id}`).set('Authorization', other).expect(404);
    await request(t.app).patch(`/api/contacts/${created.body.id}`).set('Authorization', other).send({ first_name: 'x' }).expect(404);
    await request(t.app).delete(`/api/contacts/${created.body.id}`).set('Authorization', other).expect(404);
    const list = await request(t.app).get('/api/contacts?email=private@example.com').set('Authorization', other).expect(200);
    expect(list.body.count).toBe(0);
    await request(t.app).post('/api/notify').set('Authorization', other).send({ contact_id: created.body.id, subject: 's', text: 't' }).expect(404);
    // The same address is a contact of its own for the other client.
    await request(t.app).post('/api/contacts').set('Authorization', other).send({ email: 'private@example.com' }).expect(201);
  });

  it('imports a 20,000-row CSV in batches, reporting bad lines by number; importing it again reports updates', async () => {
    const bad = new Map([
      [3, 'not-an-email,A,B,retail,buyer'],
      [500, ',Nobody,Here,retail,buyer'],
      [7001, 'extra@example.com,A,B,retail,buyer,one-too-many'],
      [12000, 'imp0@example.com,Dup,Licate,retail,buyer'],
    ]);
    const csv = csvOf(20_000, bad, 'imp');
    const first = await request(t.app).post('/api/contacts/import').set('Authorization', client).set('Content-Type', 'text/csv').send(csv).expect(200);
    expect(first.body).toMatchObject({ received: 20_000, created: 19_996, updated: 0, rejected: 4 });
    expect(first.body.rejections.map((r: { line: number }) => r.line)).toEqual([3, 500, 7001, 12000]);
    expect(first.body.rejections[0].reason).toMatch(/invalid email/);
    expect(first.body.rejections[1].reason).toBe('email is missing');
    expect(first.body.rejections[2].reason).toMatch(/Invalid Record Length/);
    expect(first.body.rejections[3].reason).toBe('duplicate of the email on line 2');
    const again = await request(t.app).post('/api/contacts/import').set('Authorization', client).set('Content-Type', 'text/csv').send(csv).expect(200);
    expect(again.body).toMatchObject({ created: 0, updated: 19_996, rejected: 4 });
    const one = await request(t.app).get('/api/contacts?email=imp5@example.com').set('Authorization', client).expect(200);
    expect(one.body.results[0]).toMatchObject({ first_name: 'First5', last_name: 'Last5', attributes: { industry: 'banking', role: 'buyer' } });
  });

  it('imports a JSON array, numbering rejected items from 1', async () => {
    const res = await request(t.app)
      .post('/api/contacts/import')
      .set('Authorization', client)
      .send([{ email: 'j1@example.com', first_name: 'J', company: 'Acme' }, { email: 'nope' }, 'not an object', { email: 'j2@example.com', attributes: { tier: 2 } }])
      .expect(200);
    expect(res.body).toMatchObject({ received: 4, created: 2, updated: 0, rejected: 2 });
    expect(res.body.rejections.map((r: { line: number }) => r.line)).toEqual([2, 3]);
    const j2 = await request(t.app).get('/api/contacts?attribute.tier=2').set('Authorization', client).expect(200);
    expect(j2.body.results.map((c: { email: string }) => c.email)).toEqual(['j2@example.com']);
    const j1 = await request(t.app).get('/api/contacts?attribute.company=Acme').set('Authorization', client).expect(200);
    expect(j1.body.results.map((c: { email: string }) => c.email)).toEqual(['j1@example.com']);
  });

  it('needs contacts:write to import or create', async () => {
    const reader = await t.bearerWith('messages:read');
    await request(t.app).post('/api/contacts').set('Authorization', reader).send({ email: 'x@example.com' }).expect(403);
    await request(t.app).post('/api/contacts/import').set('Authorization', reader).send([]).expect(403);
  });

  it('contact_id renders contact.* (variables win), links the message, and the contact lists it', async () => {
    const contact = await request(t.app)
      .post('/api/contacts')
      .set('Authorization', client)
      .send({ email: 'linus@example.com', first_name: 'Linus', attributes: { company: 'Kernel Inc' } })
      .expect(201);
    await request(t.app)
      .post('/api/templates')
      .set('Authorization', client)
      .send({ name: 'hello-contact', subject: 'Hi {{contact.first_name}}', text: '{{contact.first_name}} at {{contact.company}}: {{offer}}' })
      .expect(201);
    const sent = await request(t.app)
      .post('/api/notify')
      .set('Authorization', client)
      .send({ contact_id: contact.body.id, template: 'hello-contact', variables: { offer: '10%', contact: { company: 'Override Ltd' } } })
      .expect(202);
    const row = await t.database.db.selectFrom('messages').select(['to', 'subject', 'text_body', 'contact_id']).where('id', '=', sent.body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ to: ['linus@example.com'], subject: 'Hi Linus', text_body: 'Linus at Override Ltd: 10%', contact_id: contact.body.id });
    // A `to` naming a known contact's address finds it too.
    const byAddress = await request(t.app).post('/api/notify').set('Authorization', client).send({ to: 'linus@example.com', template: 'hello-contact', variables: { offer: '5%' } }).expect(202);
    const second = await t.database.db.selectFrom('messages').select(['text_body', 'contact_id']).where('id', '=', byAddress.body.id).executeTakeFirstOrThrow();
    expect(second).toEqual({ text_body: 'Linus at Kernel Inc: 5%', contact_id: contact.body.id });
    // A stranger has no contact fields: the template's required contact.first_name is missing.
    const stranger = await request(t.app).post('/api/notify').set('Authorization', client).send({ to: 'stranger@example.com', template: 'hello-contact', variables: { offer: '1%' } }).expect(422);
    expect(stranger.body.missing).toEqual(['contact.company', 'contact.first_name']);
    const history = await request(t.app).get(`/api/contacts/${contact.body.id}/messages`).set('Authorization', client).expect(200);
    expect(history.body.messages.map((m: { id: string }) => m.id).sort()).toEqual([sent.body.id, byAddress.body.id].sort());
  });
});

describe('conversions', () => {
  it('records a converted event on a message the caller may read, at both routes, and 404 for anyone else\'s', async () => {
    const sent = await request(t.app).post('/api/notify').set('Authorization', client).send({ to: 'buyer@example.com', subject: 's', text: 't', send_at: new Date(Date.now() + 3_600_000).toISOString() }).expect(202);
    const id = sent.body.id as string;
    const tracked = await request(t.app).post('/api/events/track').set('Authorization', client).send({ message_id: id, type: 'converted', data: { order: 'A-1', value: 42 } }).expect(201);
    expect(tracked.body).toMatchObject({ message_id: id, type: 'converted' });
    await request(t.app).post('/api/v1/events/track').set('Authorization', client).send({ message_id: id, type: 'converted' }).expect(201);
    const other = await t.bearerWith('messages:read');
    await request(t.app).post('/api/events/track').set('Authorization', other).send({ message_id: id, type: 'converted' }).expect(404);
    await request(t.app).post('/api/events/track').set('Authorization', client).send({ message_id: id, type: 'opened' }).expect(422);
    await request(t.app).post('/api/events/track').set('Authorization', adminBearer).send({ message_id: '00000000-0000-4000-8000-000000000000', type: 'converted' }).expect(404);
    const events = await request(t.app).get(`/api/notify/${id}/events`).set('Authorization', client).expect(200);
    expect(events.body.results.map((e: { type: string; data: unknown }) => [e.type, e.data])).toEqual([
      ['converted', { order: 'A-1', value: 42 }],
      ['converted', {}],
    ]);
    const row = await t.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('scheduled');
  });
});

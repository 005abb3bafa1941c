import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// templates.md: templates and versions, rendering at accept, preview, mjml, the seed's alias route.

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;
let writer: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url });
  worker = await startWorkerRuntime(t.infra);
  writer = await t.bearerWith('templates:write', 'notify:send', 'messages:read');
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});

const WELCOME = {
  subject: 'Welcome, {{name}}!',
  html: '<html><head><style>p { color: #123456; }</style></head><body><p>Hello {{name}}, your plan is {{plan}}.</p><a href="{{url}}">Start</a></body></html>',
};

function createTemplate(name: string, body: Record<string, unknown> = WELCOME, auth = writer) {
  return request(t.app).post('/api/templates').set('Authorization', auth).send({ name, ...body });
}

const messageCount = async () => Number((await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

async function arrivalTo(address: string) {
  const found = await waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes(address)), { what: `a mail to ${address}` });
  return found.parsed;
}

describe('templates', () => {
  it('creates version 1 and sends it rendered: subject, html with inlined CSS, text made from the html', async () => {
    const created = await createTemplate('welcome').expect(201);
    expect(created.body).toMatchObject({ name: 'welcome', active_version: 1, version: { version: 1, variables: ['name', 'plan', 'url'] } });
    const sent = await request(t.app)
      .post('/api/notify')
      .set('Authorization', writer)
      .send({ to: 'render@example.com', template: 'welcome', variables: { name: 'Ada', plan: 'Pro', url: 'https://example.com/start' } })
      .expect(202);
    const detail = await request(t.app).get(`/api/notify/${sent.body.id}`).set('Authorization', writer).expect(200);
    expect(detail.body).toMatchObject({ subject: 'Welcome, Ada!', template_id: created.body.id, template_version: 1, contact_id: null });
    expect(detail.body.html).toContain('Hello Ada, your plan is Pro.');
    const mail = await arrivalTo('render@example.com');
    expect(mail.subject).toBe('Welcome, Ada!');
    expect(mail.html).toContain('<p style="color: #123456;">Hello Ada, your plan is Pro.</p>');
    expect(mail.html).not.toContain('<style>');
    expect(mail.text).toContain('Hello Ada, your plan is Pro.');
    expect(mail.text).toContain('Start [https://example.com/start]');
  });

  it('escapes variables in html (a <script> arrives as text) and keeps them out of the subject\'s headers', async () => {
    await createTemplate('escape', { subject: 'Hi {{name}}', html: '<p>{{name}}</p>', text: 'Hi {{name}}' }).expect(201);
    const name = '<script>alert(1)</script>\r\nBcc: victim@example.com';
    await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'escape@example.com', template: 'escape', variables: { name } }).expect(202);
    const mail = await arrivalTo('escape@example.com');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.subject).toBe('Hi <script>alert(1)</script> Bcc: victim@example.com');
    expect(mail.bcc).toBeUndefined();
    expect(mail.text).toContain('<script>alert(1)</script>');
  });

  it('refuses a send missing variables with 422 naming each, and stores nothing', async () => {
    await createTemplate('needs').expect(201);
    const before = await messageCount();
    const res = await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'x@example.com', template: 'needs', variables: { name: 'Ada' } }).expect(422);
    expect(res.body.missing).toEqual(['plan', 'url']);
    expect(res.body.errors).toEqual([
      { field: 'variables.plan', message: 'is used by the template but was not given' },
      { field: 'variables.url', message: 'is used by the template but was not given' },
    ]);
    expect(await messageCount()).toBe(before);
  });

  it('does not require variables used only in conditional or loop blocks', async () => {
    await createTemplate('optional', { subject: 'Order', html: '{{#if promo}}<b>{{promo}}</b>{{/if}}<ul>{{#each items}}<li>{{this.name}}</li>{{/each}}</ul>' }).expect(201);
    const preview = await request(t.app).post('/api/templates/optional/preview').set('Authorization', writer).send({ variables: { items: [{ name: 'a' }, { name: 'b' }] } }).expect(200);
    expect(preview.body).toMatchObject({ missing: [], html: '<ul><li>a</li><li>b</li></ul>' });
  });

  it('saving adds a version: new sends use version 2, an earlier message still names version 1, and name@1 renders version 1', async () => {
    await createTemplate('versioned', { subject: 'v1 {{name}}', text: 'one {{name}}' }).expect(201);
    const first = await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'v@example.com', template: 'versioned', variables: { name: 'A' } }).expect(202);
    const updated = await request(t.app).put('/api/templates/versioned').set('Authorization', writer).send({ subject: 'v2 {{name}}', text: 'two {{name}}' }).expect(200);
    expect(updated.body).toMatchObject({ active_version: 2, version: { version: 2 } });
    const second = await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'v@example.com', template: 'versioned', variables: { name: 'B' } }).expect(202);
    const pinned = await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'v@example.com', template: 'versioned@1', variables: { name: 'C' } }).expect(202);
    const rows = await t.database.db
      .selectFrom('messages')
      .select(['id', 'subject', 'text_body', 'template_version'])
      .where('id', 'in', [first.body.id, second.body.id, pinned.body.id])
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(first.body.id)).toMatchObject({ subject: 'v1 A', text_body: 'one A', template_version: 1 });
    expect(byId.get(second.body.id)).toMatchObject({ subject: 'v2 B', text_body: 'two B', template_version: 2 });
    expect(byId.get(pinned.body.id)).toMatchObject({ subject: 'v1 C', text_body: 'one C', template_version: 1 });
    const versions = await request(t.app).get('/api/templates/versioned/versions').set('Authorization', writer).expect(200);
    expect(versions.body.results.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const v1 = await request(t.app).get('/api/templates/versioned/versions/1').set('Authorization', writer).expect(200);
    expect(v1.body).toMatchObject({ version: 1, subject: 'v1 {{name}}' });
    await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'v@example.com', template: 'versioned@9', variables: { name: 'D' } }).expect(404);
  });

  it('preview renders without sending and lists what is missing', async () => {
    await createTemplate('preview').expect(201);
    const before = await messageCount();
    const res = await request(t.app).post('/api/templates/preview/preview').set('Authorization', writer).send({ variables: { name: '<b>Ada</b>' } }).expect(200);
    expect(res.body.subject).toBe('Welcome, <b>Ada</b>!');
    expect(res.body.html).toContain('Hello &lt;b&gt;Ada&lt;/b&gt;, your plan is .');
    expect(res.body.missing).toEqual(['plan', 'url']);
    expect(await messageCount()).toBe(before);
  });

  it('preview renders an unsaved draft (the console editor) without storing it; a broken draft is 422', async () => {
    await createTemplate('drafted').expect(201);
    const draft = { subject: 'Draft for {{name}}', html: '<p>Brand new, {{name}}.</p>' };
    const res = await request(t.app).post('/api/templates/drafted/preview').set('Authorization', writer).send({ variables: { name: 'Ada' }, draft }).expect(200);
    expect(res.body).toMatchObject({ subject: 'Draft for Ada', html: '<p>Brand new, Ada.</p>', missing: [], version: 1 });
    const versions = await request(t.app).get('/api/templates/drafted/versions').set('Authorization', writer).expect(200);
    expect(versions.body.results).toHaveLength(1);
    const broken = await request(t.app).post('/api/templates/drafted/preview').set('Authorization', writer).send({ draft: { subject: 'x', html: '{{#if}}' } }).expect(422);
    expect(broken.headers['content-type']).toMatch(/problem\+json/);
    await request(t.app).post('/api/templates/nope/preview').set('Authorization', writer).send({ draft }).expect(404);
  });

  it('compiles mjml when saved (styles inlined) and refuses broken mjml with 422 naming the line', async () => {
    const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text color="#ff0000">Hi {{name}}</mj-text></mj-column></mj-section></mj-body></mjml>';
    const created = await createTemplate('mjml-ok', { engine: 'mjml', subject: 'Hi', html: mjml }).expect(201);
    expect(created.body.version.source).toBe(mjml);
    const preview = await request(t.app).post('/api/templates/mjml-ok/preview').set('Authorization', writer).send({ variables: { name: 'Ada' } }).expect(200);
    expect(preview.body.html).toMatch(/<div style="[^"]*color:#ff0000[^"]*">Hi Ada<\/div>/);
    expect(preview.body.text).toContain('Hi Ada');
    const broken = await createTemplate('mjml-bad', { engine: 'mjml', subject: 'Hi', html: '<mjml>\n<mj-body>\n<mj-sectionx></mj-sectionx>\n</mj-body></mjml>' }).expect(422);
    expect(broken.body.errors[0]).toMatchObject({ field: 'html', line: 3 });
    expect(broken.body.errors[0].message).toContain('mj-sectionx');
  });

  it('refuses at save what could reach beyond the template: unknown helpers, partials, raw output outside html', async () => {
    const helper = await createTemplate('bad-helper', { subject: 'x', html: '<p>\n{{log "x"}}</p>' }).expect(422);
    expect(helper.body.errors[0]).toMatchObject({ field: 'html', line: 2 });
    await createTemplate('bad-partial', { subject: 'x', html: '{{> secret}}' }).expect(422);
    await createTemplate('bad-raw', { subject: '{{{name}}}', html: '<p>x</p>' }).expect(422);
    const syntax = await createTemplate('bad-syntax', { subject: 'x', html: '<p>{{#if a}}</p>' }).expect(422);
    expect(syntax.body.errors[0].field).toBe('html');
  });

  it('never reads the prototype, and stops a render that would grow past its budget', async () => {
    await createTemplate('proto', { subject: 'x', text: '[{{constructor.name}}][{{name.constructor}}][{{lookup this "__proto__"}}]' }).expect(201);
    const proto = await request(t.app).post('/api/templates/proto/preview').set('Authorization', writer).send({ variables: { name: 'n' } }).expect(200);
    expect(proto.body.text).toBe('[][][]');
    await createTemplate('bomb', { subject: 'x', text: '{{#each a}}{{#each ../a}}{{#each ../../a}}{{../../../pad}}{{/each}}{{/each}}{{/each}}' }).expect(201);
    const a = Array.from({ length: 200 }, (_, i) => i);
    const res = await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'bomb@example.com', template: 'bomb', variables: { a, pad: 'x'.repeat(1000) } }).expect(422);
    expect(res.body.detail).toMatch(/could not be rendered/);
  });

  it('an archived template is 404 to send and to read', async () => {
    await createTemplate('archived').expect(201);
    await request(t.app).delete('/api/templates/archived').set('Authorization', writer).expect(204);
    await request(t.app).get('/api/templates/archived').set('Authorization', writer).expect(404);
    await request(t.app).post('/api/notify').set('Authorization', writer).send({ to: 'a@example.com', template: 'archived', variables: { name: 'a', plan: 'b', url: 'c' } }).expect(404);
  });

  it('POST /api/v1/emails/send, the seed\'s route, answers {status, email_id, id}', async () => {
    await createTemplate('seed', { subject: 'Seed {{x}}', text: 'x={{x}}' }).expect(201);
    const res = await request(t.app).post('/api/v1/emails/send').set('Authorization', writer).send({ to: 'seed@example.com', template: 'seed', variables: { x: 1 } }).expect(202);
    expect(res.body).toEqual({ status: 'queued', email_id: res.body.id, id: expect.any(String) });
    const mail = await arrivalTo('seed@example.com');
    expect(mail.subject).toBe('Seed 1');
    await request(t.app).post('/api/v1/emails/send').set('Authorization', writer).send({ to: 'seed@example.com', subject: 'no template' }).expect(422);
  });

  it('batch items take a template: each renders or fails in place', async () => {
    await createTemplate('batch', { subject: 'B {{n}}', text: 'n={{n}}' }).expect(201);
    const res = await request(t.app)
      .post('/api/notify/batch')
      .set('Authorization', writer)
      .send({
        items: [
          { to: 'b1@example.com', template: 'batch', variables: { n: 1 }, idempotency_key: 'tb-1' },
          { to: 'b2@example.com', template: 'batch', variables: {}, idempotency_key: 'tb-2' },
          { to: 'b3@example.com', template: 'nope', variables: {}, idempotency_key: 'tb-3' },
        ],
      })
      .expect(202);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([202, 422, 404]);
    expect(res.body.results[1].errors).toEqual([{ field: 'variables.n', message: 'is used by the template but was not given' }]);
    const row = await t.database.db.selectFrom('messages').select(['subject', 'template_version']).where('id', '=', res.body.results[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ subject: 'B 1', template_version: 1 });
  });

  it('templates are per client: another client neither sees nor sends nor overwrites them; a shared one serves everyone', async () => {
    await createTemplate('mine').expect(201);
    const other = await t.bearerWith('templates:write', 'notify:send', 'messages:read');
    await request(t.app).get('/api/templates/mine').set('Authorization', other).expect(404);
    await request(t.app).post('/api/notify').set('Authorization', other).send({ to: 'o@example.com', template: 'mine', variables: { name: 'a', plan: 'b', url: 'c' } }).expect(404);
    await request(t.app).put('/api/templates/mine').set('Authorization', other).send({ subject: 'x', text: 'y' }).expect(404);
    const list = await request(t.app).get('/api/templates').set('Authorization', other).expect(200);
    expect(list.body.results.map((r: { name: string }) => r.name)).not.toContain('mine');
    await createTemplate('mine', { subject: 'theirs', text: 'theirs' }, other).expect(201);
    await createTemplate('house', { subject: 'House {{x}}', text: 'x', shared: true }, other).expect(403);
    await createTemplate('house', { subject: 'House {{x}}', text: 'x', shared: true }, adminBearer).expect(201);
    const preview = await request(t.app).post('/api/templates/house/preview').set('Authorization', other).send({ variables: { x: 1 } }).expect(200);
    expect(preview.body.subject).toBe('House 1');
    await request(t.app).put('/api/templates/house').set('Authorization', other).send({ subject: 'x', text: 'y' }).expect(403);
  });

  it('needs templates:write to save', async () => {
    const reader = await t.bearerWith('messages:read');
    await createTemplate('noscope', WELCOME, reader).expect(403);
  });
});

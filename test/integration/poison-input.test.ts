import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/test-app';

// Issue 19, item 2: single accepts arriving together share one INSERT, so a value that passed
// validation but that Postgres refuses (a lone surrogate in metadata, a send_at in year 0) used
// to fail every request coalesced with it. Such values are now refused at validation, so one
// client's bad request never reaches the statement another client's requests share.
// Requests go over a real socket with fetch, all at once, so that they are coalesced.

let t: TestApp;
let server: Server;
let base: string;
let honest: string;
let poisoner: string;
beforeAll(async () => {
  t = await startTestApp();
  server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  [honest, poisoner] = await Promise.all([t.bearerWith('notify:send'), t.bearerWith('notify:send')]);
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

const note = { to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' };

// JSON text, written out so the escapes reach the server as a client would send them.
const POISON: readonly { readonly name: string; readonly json: string; readonly field: string }[] = [
  { name: 'lone high surrogate in a metadata value', json: '{"a":"\\ud800"}', field: 'metadata' },
  { name: 'lone low surrogate in a metadata key', json: '{"\\udc00":1}', field: 'metadata' },
  { name: 'lone surrogate nested in an array', json: '{"a":{"b":["ok","x\\udbff"]}}', field: 'metadata' },
].map(({ name, json, field }) => ({ name, json: `{"to":"ops@example.com","subject":"s","text":"t","metadata":${json}}`, field }));
const YEAR_ZERO = { name: 'send_at in year 0', json: JSON.stringify({ ...note, send_at: '0000-01-01T00:00:00Z' }), field: 'send_at' };
const POISONS = [...POISON, YEAR_ZERO];

interface Answer {
  readonly status: number;
  readonly body: { id?: string; errors?: { field: string }[]; results?: { status: number; id?: string; errors?: { field: string }[] }[] };
}

async function post(path: string, bearer: string, key: string, body: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { Authorization: bearer, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body,
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function keysStored(prefix: string): Promise<Map<string, string>> {
  const rows = await t.database.db.selectFrom('messages').select(['id', 'idempotency_key']).where('idempotency_key', 'like', `${prefix}%`).execute();
  return new Map(rows.map((row) => [row.idempotency_key, row.id]));
}

describe('poison requests among concurrent valid ones', () => {
  it.each(POISONS.map((p) => [p.name, p] as const))('%s: 200 valid requests from another client are all stored; the poison ones are 422', async (_name, poison) => {
    const run = poison.field === 'send_at' ? 'year0' : `meta${POISONS.indexOf(poison)}`;
    const sends: Promise<Answer & { readonly kind: 'valid' | 'poison'; readonly key: string }>[] = [];
    for (let i = 0; i < 200; i += 1) {
      const key = `${run}-valid-${i}`;
      sends.push(post('/api/notify', honest, key, JSON.stringify({ ...note, metadata: { i } })).then((a) => ({ ...a, kind: 'valid' as const, key })));
      // One poison request after every tenth valid one, so each coalesced group would hold some.
      if (i % 10 === 0) {
        const poisonKey = `${run}-poison-${i}`;
        sends.push(post('/api/notify', poisoner, poisonKey, poison.json).then((a) => ({ ...a, kind: 'poison' as const, key: poisonKey })));
      }
    }
    const answers = await Promise.all(sends);

    expect(answers.filter((a) => a.status >= 500).map((a) => ({ kind: a.kind, status: a.status }))).toEqual([]);
    const valid = answers.filter((a) => a.kind === 'valid');
    const poisoned = answers.filter((a) => a.kind === 'poison');
    expect(valid.map((a) => a.status)).toEqual(Array(200).fill(202));
    expect(poisoned.map((a) => a.status)).toEqual(Array(20).fill(422));
    for (const a of poisoned) expect(a.body.errors?.map((e) => e.field)).toContain(poison.field);

    // Every 202 is a stored row with the id it answered; no poison request stored anything.
    const stored = await keysStored(`${run}-valid-`);
    expect(stored.size).toBe(200);
    for (const a of valid) expect(stored.get(a.key)).toBe(a.body.id);
    expect((await keysStored(`${run}-poison-`)).size).toBe(0);
  });
});

describe('a batch with one poison item among valid ones', () => {
  it.each(POISONS.map((p) => [p.name, p] as const))('%s: the poison item is 422, the others 202 and stored', async (_name, poison) => {
    const run = `batch${POISONS.indexOf(poison)}`;
    const poisonItem = `${poison.json.slice(0, -1)},"idempotency_key":"${run}-poison"}`;
    const valid = Array.from({ length: 5 }, (_, i) => JSON.stringify({ ...note, idempotency_key: `${run}-valid-${i}` }));
    const items = [...valid.slice(0, 2), poisonItem, ...valid.slice(2)];
    const res = await post('/api/notify/batch', honest, `${run}-envelope`, `{"items":[${items.join(',')}]}`);

    expect(res.status).toBe(202);
    const results = res.body.results ?? [];
    expect(results.map((r) => r.status)).toEqual([202, 202, 422, 202, 202, 202]);
    expect(results[2]?.errors?.map((e) => e.field)).toContain(`items.2.${poison.field}`);
    const stored = await keysStored(`${run}-`);
    expect([...stored.keys()].sort()).toEqual(Array.from({ length: 5 }, (_, i) => `${run}-valid-${i}`));
    for (const r of results.filter((r) => r.status === 202)) expect([...stored.values()]).toContain(r.id);
  });
});

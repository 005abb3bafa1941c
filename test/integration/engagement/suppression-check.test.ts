import type { KyselyPlugin } from 'kysely';
import { sql } from 'kysely';
import { SuppressionCheck } from '../../../services/suppressions/suppression-check';
import { createTestDatabase, type TestDatabase } from '../../support/test-db';

// The accept-time check's cost (design/engagement.md, issue 15): a client with no suppressions
// pays no query while what the check remembers holds; one with them, one query per call.

// Long enough that a slow machine does not see what is remembered lapse mid-test.
const REMEMBERED_MS = 60_000;

let database: TestDatabase;
let queries = 0;
const counting: KyselyPlugin = {
  transformQuery: (args) => {
    queries += 1;
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
};

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.destroy();
});

const message = (client: string, ...to: string[]) => ({ client_id: client, category: 'transactional' as const, to });

it('asks once for clients without suppressions, then nothing while that is remembered', async () => {
  const check = new SuppressionCheck(database.db.withPlugin(counting), REMEMBERED_MS);
  queries = 0;
  const first = await check.check([message('quiet', 'a@example.com'), message('quiet-too', 'b@example.com')]);
  expect(first.map((r) => r.suppressed)).toEqual([[], []]);
  expect(queries).toBe(1);
  for (let i = 0; i < 50; i += 1) await check.check([message('quiet', `c${i}@example.com`)]);
  expect(queries).toBe(1);
});

it('costs one lookup per call for a client with suppressions, however many recipients and messages', async () => {
  await sql`insert into suppressions (client_id, address, reason) values ('noisy', 'x@example.com', 'manual')`.execute(database.db);
  const check = new SuppressionCheck(database.db.withPlugin(counting), REMEMBERED_MS);
  await check.check([message('noisy', 'warm@example.com')]);
  queries = 0;
  const many = Array.from({ length: 200 }, (_, i) => message('noisy', `r${i}@example.com`, 'X@example.com', `s${i}@example.com`));
  const results = await check.check(many);
  expect(queries).toBe(1);
  expect(results.every((r) => r.suppressed.length === 1 && r.to.length === 2)).toBe(true);
});

it('is told of this process\'s own writes at once', async () => {
  const check = new SuppressionCheck(database.db, REMEMBERED_MS);
  expect((await check.check([message('later', 'y@example.com')]))[0]?.allSuppressed).toBe(false);
  await sql`insert into suppressions (client_id, address, reason) values ('later', 'y@example.com', 'complaint')`.execute(database.db);
  check.noteSuppressed('later');
  expect((await check.check([message('later', 'y@example.com')]))[0]).toMatchObject({ allSuppressed: true, suppressed: [{ address: 'y@example.com', reason: 'complaint' }] });
});

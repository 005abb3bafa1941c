import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// DESIGN section 4: services/lifecycle/ owns every transition; nothing else writes `status`.

const ROOT = join(__dirname, '..', '..');
const LIFECYCLE = join('services', 'lifecycle');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The places in `source` that write a message's status: SQL or Kysely updates of it, or inserts of messages. */
export function statusWrites(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/update\s+messages\b[\s\S]*?\bset\b([\s\S]*?)(?:\bwhere\b|\bfrom\b|\breturning\b|`)/gi)) {
    if (/\bstatus\s*=/i.test(match[1] ?? '')) found.push(match[0].slice(0, 80));
  }
  for (const match of source.matchAll(/updateTable\(\s*['"]messages['"]\s*\)[\s\S]{0,400}?\.set\(\s*\{([^}]*)\}/g)) {
    if (/\bstatus\b/.test(match[1] ?? '')) found.push(match[0].slice(0, 80));
  }
  for (const match of source.matchAll(/insert\s+into\s+messages\b|insertInto\(\s*['"]messages['"]\s*\)/gi)) found.push(match[0]);
  return found;
}

describe('status is written only by services/lifecycle/', () => {
  it('finds the writes it is meant to find', () => {
    expect(statusWrites("sql`update messages set status = 'queued', updated_at = now() where id = ${id}`")).toHaveLength(1);
    expect(statusWrites("sql`update messages as m set lease_until = now(), status = 'sent' from v`")).toHaveLength(1);
    expect(statusWrites("db.updateTable('messages').set({ status: 'failed' }).where('id', '=', id)")).toHaveLength(1);
    expect(statusWrites("sql`insert into messages (id) values (${id})`")).toHaveLength(1);
    expect(statusWrites("db.insertInto('messages').values(row)")).toHaveLength(1);
    expect(statusWrites("sql`update messages set lease_until = now() where status = 'sending'`")).toEqual([]);
    expect(statusWrites("db.selectFrom('messages').select('status').where('status', '=', 'sent')")).toEqual([]);
  });

  it('sees the transitions in lifecycle/', () => {
    const lifecycle = sourceFiles(join(ROOT, LIFECYCLE)).flatMap((file) => statusWrites(readFileSync(file, 'utf8')));
    expect(lifecycle.length).toBeGreaterThanOrEqual(9);
  });

  it('finds none anywhere else in services/ or workers/', () => {
    const outside = [...sourceFiles(join(ROOT, 'services')), ...sourceFiles(join(ROOT, 'workers'))]
      .filter((file) => !relative(ROOT, file).startsWith(LIFECYCLE))
      .flatMap((file) => statusWrites(readFileSync(file, 'utf8')).map((write) => `${relative(ROOT, file)}: ${write}`));
    expect(outside).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux platform Node supports.
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of one process in ms, or undefined when it is gone. */
function processCpuMs(pid: number): { comm: string; ms: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { comm, ms: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU ms used so far by the given pids and by every Postgres and Redis server process. */
export interface CpuSnapshot {
  readonly byPid: ReadonlyMap<number, number>;
  readonly postgres: number;
  readonly redis: number;
  readonly postgresPids: ReadonlyMap<number, number>;
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const byPid = new Map<number, number>();
  for (const pid of pids) byPid.set(pid, processCpuMs(pid)?.ms ?? 0);
  let redis = 0;
  const postgresPids = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const usage = processCpuMs(Number(entry));
    if (usage === undefined) continue;
    if (usage.comm === 'postgres') postgresPids.set(Number(entry), usage.ms);
    else if (usage.comm.startsWith('redis-server')) redis += usage.ms;
  }
  return { byPid, postgres: [...postgresPids.values()].reduce((a, b) => a + b, 0), redis, postgresPids };
}

/** CPU ms each part used between two snapshots. Postgres backends that ended in between are not counted. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { byPid: Map<number, number>; postgres: number; redis: number } {
  const byPid = new Map<number, number>();
  for (const [pid, ms] of after.byPid) byPid.set(pid, ms - (before.byPid.get(pid) ?? 0));
  let postgres = 0;
  for (const [pid, ms] of after.postgresPids) postgres += ms - (before.postgresPids.get(pid) ?? 0);
  return { byPid, postgres, redis: after.redis - before.redis };
}

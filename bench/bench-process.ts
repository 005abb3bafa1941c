import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const KEEP_LINES = 50;
const live = new Set<BenchProcess>();

/** A child process of the benchmark: Herald or the baseline. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** The last lines it printed, for error messages. */
  readonly tail: readonly string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Peak resident set size so far (VmHWM), in bytes; undefined once the process is gone. */
  peakRssBytes(): number | undefined;
  /** Resolves with the first output line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; returns the peak RSS read just before the signal. */
  stop(graceMs?: number): Promise<number | undefined>;
}

/** Reads VmHWM (the kernel's high-water mark of resident memory) from /proc. */
export function readPeakRss(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Starts `node ...args` with exactly `env` (plus PATH), collecting its output. */
export function startNodeProcess(name: string, args: readonly string[], env: Record<string, string>, cwd: string): BenchProcess {
  const child: ChildProcess = spawn(process.execPath, [...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${args.join(' ')}`);
  const pid = child.pid;
  const tail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      tail.push(line);
      if (tail.length > KEEP_LINES) tail.shift();
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  const proc: BenchProcess = {
    name,
    pid,
    tail,
    exited,
    peakRssBytes: () => (isRunning() ? readPeakRss(pid) : undefined),
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(onLine);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onLine = (line: string) => {
          if (pattern.test(line)) finish();
        };
        const timer = setTimeout(() => finish(new Error(`${name}: no line matching ${pattern} after ${timeoutMs} ms\n${tail.join('\n')}`)), timeoutMs);
        listeners.add(onLine);
        if (tail.some((line) => pattern.test(line))) finish();
        void exited.then(({ code, signal }) => finish(new Error(`${name} exited (${code ?? signal}) before ${pattern}\n${tail.join('\n')}`)));
      });
    },
    async stop(graceMs = 15000) {
      const peak = proc.peakRssBytes();
      if (isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (isRunning()) child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(proc);
      return peak;
    },
  };
  live.add(proc);
  return proc;
}

/** Kills every process this benchmark started and has not stopped yet (by pid, never by name). */
export async function killAllBenchProcesses(): Promise<void> {
  await Promise.all([...live].map((proc) => proc.stop(2000)));
}

/** A TCP port on 127.0.0.1 that was free when asked. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers 200; fails early if `proc` exits. */
export async function waitForHttp(url: string, proc: BenchProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${proc.name} exited before ${url} answered\n${proc.tail.join('\n')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${proc.name}: ${url} did not answer 200 within ${timeoutMs} ms\n${proc.tail.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

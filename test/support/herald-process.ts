import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface HeraldProcess {
  readonly child: ChildProcess;
  /** Every line the process printed, stdout and stderr. */
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`; rejects on exit or deadline. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** Sends SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the real `herald` CLI from the TypeScript sources in a child process. */
export function spawnHerald(args: string[], env: Record<string, string>): HeraldProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'services', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.length > 0));
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  return {
    child,
    lines,
    exited,
    kill,
    stop: async (graceMs = 5000) => {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    waitForLine(pattern, timeoutMs = 20000) {
      return new Promise((resolve, reject) => {
        const done = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error !== undefined) reject(error);
          else resolve(line ?? '');
        };
        const check = () => {
          const line = lines.find((l) => pattern.test(l));
          if (line !== undefined) done(undefined, line);
        };
        const timer = setTimeout(() => done(new Error(`no line matching ${pattern} after ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        listeners.add(check);
        void exited.then(({ code, signal }) => done(new Error(`process exited (${code ?? signal}) before ${pattern}:\n${lines.slice(-20).join('\n')}`)));
        check();
      });
    },
  };
}

export interface HeraldRun {
  /** The exit code; 1 when the process was ended by a signal. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a `herald` command that exits by itself (`keys`, `migrate`) and returns its exit code and output; SIGTERM after `timeoutMs`. */
export async function runHerald(args: string[], env: Record<string, string>, timeoutMs = 30000): Promise<HeraldRun> {
  const herald = spawnHerald(args, env);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  herald.child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  herald.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  // 'close', not 'exit': only then has all output been read.
  const closed = once(herald.child, 'close');
  const timer = setTimeout(() => herald.kill('SIGTERM'), timeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
  const { code } = await herald.exited;
  return { code: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

/** A TCP port free at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Where a test's worker process finds the test app's data: its database, Redis and queue prefix. */
export interface WorkerProcessTarget {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
}

/**
 * Starts `herald serve --role worker` against a test app's database, Redis and queue prefix,
 * with a short lease and a quick sweeper so that a killed worker's messages are taken back
 * within seconds; `env` adds to or overrides that. Resolves once the worker says it started.
 */
export async function startWorkerProcess(target: WorkerProcessTarget, env: Record<string, string> = {}): Promise<HeraldProcess> {
  const worker = spawnHerald(['serve', '--role', 'worker'], {
    DATABASE_URL: target.databaseUrl,
    REDIS_URL: target.redisUrl,
    QUEUE_PREFIX: target.queuePrefix,
    LEASE_MS: '2000',
    SWEEPER_INTERVAL_MS: '250',
    SWEEPER_GRACE_MS: '1000',
    WORKER_HTTP_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...env,
  });
  try {
    await worker.waitForLine(/"msg":"worker started"/, 30000);
  } catch (error) {
    // A worker that never started is nobody's to clean up later.
    worker.kill('SIGKILL');
    throw error;
  }
  return worker;
}

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from './wait';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * The real `herald` program from the TypeScript sources (as spawnHerald runs it): no build step
 * to go stale, and the client commands load only services/cli, so it starts in about a second.
 */
const HERALD = [process.execPath, '-r', 'ts-node/register/transpile-only', join(ROOT, 'services', 'main.ts')];

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A program running in a tmux pane: keys go in as a person types them, the screen comes out as text. */
export interface Terminal {
  /** Types text literally (no key names). */
  type(text: string): Promise<void>;
  /** Presses keys by tmux name: Enter, Down, C-c, C-u, … */
  press(...keys: string[]): Promise<void>;
  /** Types a line and presses Enter. */
  line(text: string): Promise<void>;
  /** Everything on the pane and in its scrollback, wrapped lines joined. */
  screen(): Promise<string>;
  /** Resolves with the screen once `pattern` matches it; fails after `timeoutMs` with the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The program's exit code once it ended (the pane prints it). */
  exitCode(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Runs `herald …args` in a new tmux server of its own (its own socket), 160×50, with exactly `env` (plus PATH). */
export async function startTerminal(args: readonly string[], env: Record<string, string>): Promise<Terminal> {
  const socket = `herald-test-${randomBytes(6).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'herald-terminal-'));
  const script = join(dir, 'run.sh');
  const exports = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', TS_NODE_TRANSPILE_ONLY: 'true', ...env })
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n');
  // The pane outlives the program so that its last screen and exit code can be read.
  await writeFile(script, `${exports}\ncd ${shellQuote(ROOT)}\n${[...HERALD, ...args].map(shellQuote).join(' ')}\necho "[herald exited $?]"\nexec sleep 600\n`);
  await chmod(script, 0o700);
  const tmux = (...rest: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...rest]);
  await tmux('new-session', '-d', '-s', 'main', '-x', '160', '-y', '50', `sh ${shellQuote(script)}`);
  await tmux('set-option', '-t', 'main', 'history-limit', '5000');
  const screen = async () => (await tmux('capture-pane', '-p', '-J', '-t', 'main', '-S', '-5000')).stdout;
  return {
    async type(text) {
      await tmux('send-keys', '-t', 'main', '-l', text);
    },
    async press(...keys) {
      await tmux('send-keys', '-t', 'main', ...keys);
    },
    async line(text) {
      if (text !== '') await tmux('send-keys', '-t', 'main', '-l', text);
      await tmux('send-keys', '-t', 'main', 'Enter');
    },
    screen,
    async waitFor(pattern, timeoutMs = 20000) {
      let last = '';
      return waitUntil(
        async () => {
          last = await screen();
          return pattern.test(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${pattern} on the terminal`, detail: () => last },
      );
    },
    async exitCode(timeoutMs = 20000) {
      let last = '';
      const text = await waitUntil(
        async () => {
          last = await screen();
          return /\[herald exited (\d+)\]/.exec(last)?.[1];
        },
        { timeoutMs, intervalMs: 100, what: 'herald to exit', detail: () => last },
      );
      return Number(text);
    },
    async close() {
      await tmux('kill-server').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a `herald` client command without a terminal (as a script would), with `stdin` as its input. */
export async function runCli(args: readonly string[], env: Record<string, string>, stdin = '', timeoutMs = 30000): Promise<CliRun> {
  const child = spawn(HERALD[0] ?? process.execPath, [...HERALD.slice(1), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}

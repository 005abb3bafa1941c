import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

// Herald writes `Message-ID: <row id@MAIL_DOMAIN>`; the baseline does the same with its own domain.
const MESSAGE_ID = /^Message-ID:\s*<([^@>\s]+)@/im;

/** An SMTP peer on 127.0.0.1 that counts what it receives and keeps nothing but arrival times. */
export interface CountingSink {
  readonly url: string;
  /** Messages received since the last reset. */
  readonly count: number;
  /** performance.now() of the first and last arrival since the last reset. */
  readonly firstAt: number | undefined;
  readonly lastAt: number | undefined;
  /** Arrival time by Message-ID local part, filled only while tracking is on. */
  readonly arrivals: ReadonlyMap<string, number>;
  /** Starts a fresh count; `trackIds` records each message's Message-ID (for latency). */
  reset(options?: { trackIds?: boolean }): void;
  /** Resolves once `count` messages arrived since the reset; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let count = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  let trackIds = false;
  const arrivals = new Map<string, number>();
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      let head: string | undefined;
      stream.on('data', (chunk: Buffer) => {
        if (trackIds && head === undefined) head = chunk.toString('latin1', 0, Math.min(chunk.length, 4096));
      });
      stream.on('end', () => {
        const now = performance.now();
        count += 1;
        firstAt ??= now;
        lastAt = now;
        if (head !== undefined) {
          const id = MESSAGE_ID.exec(head)?.[1];
          if (id !== undefined) arrivals.set(id, now);
        }
        for (const waiter of waiters) waiter();
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    get firstAt() {
      return firstAt;
    },
    get lastAt() {
      return lastAt;
    },
    arrivals,
    reset(options = {}) {
      count = 0;
      firstAt = undefined;
      lastAt = undefined;
      arrivals.clear();
      trackIds = options.trackIds === true;
    },
    waitForCount(target, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (count < target) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink: ${count} of ${target} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

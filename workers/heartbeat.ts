import { EventEmitter } from 'node:events';
import { beat, leave } from '../services/platform/heartbeat';
import type { Redis } from '../services/platform/redis';

/** Keeps this worker counted by /healthz: a beat every third of the TTL. Emits 'error' on failed beats. */
export class Heartbeat extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly workerId: string,
    private readonly ttlMs = 15000,
  ) {
    super();
  }

  async start(): Promise<void> {
    await this.beatOnce();
    this.timer = setInterval(() => void this.beatOnce(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await leave(this.redis, this.prefix, this.workerId).catch((error: unknown) => this.emit('error', error));
  }

  private async beatOnce(): Promise<void> {
    await beat(this.redis, this.prefix, this.workerId, this.ttlMs).catch((error: unknown) => this.emit('error', error));
  }
}

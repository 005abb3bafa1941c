import type { Db } from '../database';
import { pingDb } from '../platform/db';
import { liveWorkers } from '../platform/heartbeat';
import { pingRedis, type Redis } from '../platform/redis';

export interface CheckResult {
  readonly status: 'ok' | 'down';
  readonly detail?: string;
  readonly live?: number;
}

export interface HealthReport {
  readonly status: 'healthy' | 'unhealthy';
  readonly checks: { readonly database: CheckResult; readonly redis: CheckResult; readonly workers: CheckResult };
}

/** Probes the dependencies Herald cannot work without. */
export class HealthService {
  #draining = false;

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly queuePrefix: string,
  ) {}

  /** True once the process has begun shutting down (startDraining): no longer ready, whatever the dependencies say. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Marks the process as shutting down, so load balancers stop sending it requests. */
  startDraining(): void {
    this.#draining = true;
  }

  async ready(): Promise<{ database: boolean; redis: boolean }> {
    const [database, redis] = await Promise.all([pingDb(this.db), pingRedis(this.redis)]);
    return { database, redis };
  }

  async report(): Promise<HealthReport> {
    const { database, redis } = await this.ready();
    const workers = redis ? await this.workers() : { status: 'down' as const, detail: 'redis unreachable', live: 0 };
    const checks = {
      database: database ? { status: 'ok' as const } : { status: 'down' as const, detail: 'database unreachable' },
      redis: redis ? { status: 'ok' as const } : { status: 'down' as const, detail: 'redis unreachable' },
      workers,
    };
    const healthy = database && redis && workers.status === 'ok';
    return { status: healthy ? 'healthy' : 'unhealthy', checks };
  }

  private async workers(): Promise<CheckResult> {
    try {
      const live = await liveWorkers(this.redis, this.queuePrefix);
      return live > 0 ? { status: 'ok', live } : { status: 'down', detail: 'no worker is running', live: 0 };
    } catch {
      return { status: 'down', detail: 'could not read worker heartbeats', live: 0 };
    }
  }
}

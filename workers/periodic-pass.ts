import { EventEmitter } from 'node:events';

/**
 * A background loop that runs `sweep()` every `intervalMs`, one pass at a time: a pass still
 * running when the next tick comes is not doubled. Emits 'swept' with each pass's report and
 * 'error' rather than throwing from the loop.
 */
export abstract class PeriodicPass<Report> extends EventEmitter {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(private readonly intervalMs: number) {
    super();
  }

  /** One pass. */
  abstract sweep(): Promise<Report>;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.sweep()
        .then((report) => this.emit('swept', report))
        .catch((error: unknown) => this.emit('error', error))
        .finally(() => (this.#running = undefined));
    }, this.intervalMs);
    this.#timer.unref();
  }

  /** Stops the loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

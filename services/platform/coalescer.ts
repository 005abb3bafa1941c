export interface CoalescerOptions {
  /** Batches running at once; further items wait and join the next batch. */
  readonly maxInFlight: number;
  /** Items per batch at most. */
  readonly maxBatch: number;
}

interface Waiting<In, Out> {
  readonly item: In;
  readonly resolve: (out: Out) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for concurrent callers: items submitted in the same turn of the event loop, or
 * while `maxInFlight` batches are already running, are handed to `run` together, so N callers
 * cost one database statement and one Redis round trip instead of N. A lone caller starts on the
 * next turn of the event loop and waits no longer than it would alone.
 *
 * `run` returns one result per item, in order; when it throws, every item of that batch fails
 * with the same error.
 */
export class Coalescer<In, Out> {
  readonly #waiting: Waiting<In, Out>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(
    private readonly run: (items: readonly In[]) => Promise<readonly Out[]>,
    private readonly options: CoalescerOptions,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.options.maxInFlight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.options.maxBatch);
      this.#inFlight += 1;
      void this.#start(batch)
        .catch((error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        })
        .finally(() => {
          this.#inFlight -= 1;
          this.#schedule();
        });
    }
  }

  async #start(batch: readonly Waiting<In, Out>[]): Promise<void> {
    const results = await this.run(batch.map((waiting) => waiting.item));
    if (results.length !== batch.length) throw new Error(`coalesced batch of ${batch.length} returned ${results.length} results`);
    batch.forEach((waiting, index) => waiting.resolve(results[index] as Out));
  }
}

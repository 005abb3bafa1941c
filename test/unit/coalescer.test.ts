import { Coalescer } from '../../services/platform/coalescer';

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Coalescer', () => {
  it('runs a lone item by itself', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((n) => n * 2);
    }, { maxInFlight: 2, maxBatch: 10 });
    await expect(coalescer.submit(21)).resolves.toBe(42);
    expect(batches).toEqual([[21]]);
  });

  it('hands items submitted together, or while batches are in flight, to one run', async () => {
    const gate = deferred<void>();
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, string>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await gate.promise;
      return items.map(String);
    }, { maxInFlight: 1, maxBatch: 3 });
    const first = coalescer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4, 5].map((n) => coalescer.submit(n));
    gate.resolve();
    await expect(Promise.all([first, ...rest])).resolves.toEqual(['1', '2', '3', '4', '5']);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('fails every item of a batch whose run throws, and carries on with the next', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('database unavailable');
      return [...items];
    }, { maxInFlight: 1, maxBatch: 10 });
    const failed = [coalescer.submit(1), coalescer.submit(2)];
    await expect(Promise.all(failed)).rejects.toThrow('database unavailable');
    await expect(failed[1]).rejects.toThrow('database unavailable');
    await expect(coalescer.submit(3)).resolves.toBe(3);
  });

  it('rejects when run returns the wrong number of results', async () => {
    const coalescer = new Coalescer<number, number>(async () => [], { maxInFlight: 1, maxBatch: 10 });
    await expect(coalescer.submit(1)).rejects.toThrow(/returned 0 results/);
  });
});

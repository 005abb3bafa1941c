/**
 * The V8 options every Herald process runs with: the Dockerfile's entrypoint, the `herald`
 * command's shebang and scripts/quickstart.sh pass them, and the benchmark starts Herald the
 * same way (a test keeps the four in step).
 *
 * A young generation of 8 MB semi-spaces instead of V8's default 16 MB: under the accept load
 * the all-in-one process peaked at 244 MB instead of 262 MB RSS, and, as the smaller nursery
 * stays in cache, the api accepted more requests per CPU second, not fewer (bench/README.md).
 *
 * An old generation of at most 256 MB: V8 sizes its heap from the machine's memory, not the
 * container's 512Mi, and collects lazily below that, so the garbage of large batches took the
 * api past 560 MB RSS even with the bodies in flight bounded. Capped, the api stays near 360 MB
 * under 20 concurrent 10 MB batches. The cap is safe only because MAX_BODY_BYTES_IN_FLIGHT
 * bounds the live data: without it 60 such batches ran the heap out and the process died.
 */
export const HERALD_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'] as const;

/**
 * The V8 options every Herald process runs with: the Dockerfile's entrypoint, the `herald`
 * command's shebang and scripts/quickstart.sh pass them, and the benchmark starts Herald the
 * same way (a test keeps the four in step).
 *
 * A young generation of 8 MB semi-spaces instead of V8's default 16 MB: under the accept load
 * the all-in-one process peaked at 244 MB instead of 262 MB RSS, and, as the smaller nursery
 * stays in cache, the api accepted more requests per CPU second, not fewer (bench/README.md).
 */
export const HERALD_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

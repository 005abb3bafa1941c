#!/usr/bin/env bash
# The test entry point (`npm test`, CI): dependencies, services, typecheck, lint, jest.
# Extra arguments go to jest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/ensure-deps.sh
source scripts/ensure-deps.sh

ensure_deps
bash scripts/services.sh
bash scripts/test-tools.sh

echo "test: typecheck" >&2
npm run --silent typecheck
echo "test: lint" >&2
npm run --silent lint
# The console's end-to-end test drives the built page (dist/console).
echo "test: build the console" >&2
npm run --silent build:console
echo "test: jest" >&2
npx jest --ci "$@"

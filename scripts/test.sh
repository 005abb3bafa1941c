#!/usr/bin/env bash
# The test entry point (`npm test`, CI): dependencies, services, typecheck, lint, jest.
# Extra arguments go to jest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Installs node_modules when missing or older than package.json / package-lock.json.
ensure_deps() {
  local stamp=node_modules/.herald-lock.sha256 want=""
  if [[ -f package-lock.json ]]; then
    want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
    if [[ -f node_modules/.package-lock.json ]]; then
      if [[ -f $stamp ]]; then
        [[ $(<"$stamp") == "$want" ]] && return 0
      elif [[ ! package-lock.json -nt node_modules/.package-lock.json && ! package.json -nt node_modules/.package-lock.json ]]; then
        return 0
      fi
    fi
    echo "test: installing dependencies (npm ci)" >&2
    local log
    log=$(mktemp)
    if ! npm ci --no-audit --no-fund --loglevel=error 2>"$log"; then
      grep -v '^npm warn' "$log" | head -n 6 >&2
      echo "test: npm ci failed (package-lock.json out of sync with package.json?); trying npm install --no-save" >&2
      npm install --no-save --no-audit --no-fund --loglevel=error
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
  else
    if [[ -f node_modules/.package-lock.json && ! package.json -nt node_modules/.package-lock.json ]]; then
      return 0
    fi
    echo "test: installing dependencies (npm install)" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
}

ensure_deps
bash scripts/services.sh

echo "test: typecheck" >&2
npm run --silent typecheck
echo "test: lint" >&2
npm run --silent lint
echo "test: jest" >&2
npx jest --ci "$@"

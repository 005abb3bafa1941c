# Sourced by scripts/test.sh and scripts/quickstart.sh.
# Installs node_modules when missing or older than package.json / package-lock.json.
# npm ci can refuse this lock file when the registry mirror omits other platforms'
# optional packages; npm install --no-save then installs from the same lock.
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
    echo "herald: installing dependencies (npm ci)" >&2
    local log
    log=$(mktemp)
    if ! npm ci --no-audit --no-fund --loglevel=error 2>"$log"; then
      grep -v '^npm warn' "$log" | head -n 6 >&2
      echo "herald: npm ci failed; trying npm install --no-save" >&2
      npm install --no-save --no-audit --no-fund --loglevel=error
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
  else
    if [[ -f node_modules/.package-lock.json && ! package.json -nt node_modules/.package-lock.json ]]; then
      return 0
    fi
    echo "herald: installing dependencies (npm install)" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
}

# Sourced by scripts/test.sh and scripts/quickstart.sh.
# Installs node_modules when missing or older than package.json / package-lock.json.
# Plain npm ci, with no fallback: a lock file that drifts from package.json fails here.
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
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  else
    if [[ -f node_modules/.package-lock.json && ! package.json -nt node_modules/.package-lock.json ]]; then
      return 0
    fi
    echo "herald: installing dependencies (npm install)" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
}

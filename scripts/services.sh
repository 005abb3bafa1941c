#!/usr/bin/env bash
# Makes sure the Postgres and Redis that Herald is configured for are reachable,
# and that the database in DATABASE_URL exists (DESIGN section 8).
#
#   bash scripts/services.sh
#
# Quiet and fast when everything is already up. Otherwise, for servers on this
# machine, it starts them (installing the Debian packages first when they are
# missing and we are root), creates the database and, if needed, the role.
# Exits 1 with a one-line hint per problem when it cannot fix things itself.
#
# Environment: DATABASE_URL (default postgres://root@127.0.0.1:5432/herald),
# REDIS_URL (default redis://127.0.0.1:6379), HERALD_SERVICES_TIMEOUT (seconds
# to wait for a server to come up, default 30).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATABASE_URL=${DATABASE_URL:-postgres://root@127.0.0.1:5432/herald}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
TIMEOUT=${HERALD_SERVICES_TIMEOUT:-30}

say() { echo "services: $*" >&2; }
die() {
  say "$*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

have node || die "node is required (Node 20+)"

# --- parse the URLs -----------------------------------------------------------
# One line: pg_host pg_port pg_user pg_password pg_db admin_url redis_host redis_port has_pg has_ioredis
# (empty fields are "-"; admin_url is the same server's maintenance database).
# shellcheck disable=SC2016
parsed=$(node -e '
  const [pgUrl, redisUrl] = process.argv.slice(1);
  const out = [];
  const field = (v) => (v === undefined || v === "" ? "-" : v);
  try {
    const pg = new URL(pgUrl);
    const host = pg.searchParams.get("host") || pg.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    out.push(host, pg.port || "5432", decodeURIComponent(pg.username) || "root",
      decodeURIComponent(pg.password), decodeURIComponent(pg.pathname.replace(/^\//, "")) || "herald");
    pg.pathname = "/postgres";
    out.push(pg.toString());
  } catch { console.error("DATABASE_URL is not a valid URL"); process.exit(2); }
  try {
    const r = new URL(redisUrl);
    out.push(r.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", r.port || "6379");
  } catch { console.error("REDIS_URL is not a valid URL"); process.exit(2); }
  for (const name of ["pg", "ioredis"]) {
    try { require.resolve(name); out.push("yes"); } catch { out.push("-"); }
  }
  for (const v of out) if (/\s/.test(v)) { console.error("whitespace in DATABASE_URL/REDIS_URL is not supported"); process.exit(2); }
  console.log(out.map(field).join(" "));
' "$DATABASE_URL" "$REDIS_URL" 2>&1) || die "$parsed"
read -r PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DB ADMIN_URL REDIS_HOST REDIS_PORT HAS_PG HAS_IOREDIS <<<"$parsed"
[[ $PG_PASSWORD == - ]] && PG_PASSWORD=
node_has() { # pg / ioredis installed in this checkout?
  case $1 in
    pg) [[ $HAS_PG == yes ]] ;;
    ioredis) [[ $HAS_IOREDIS == yes ]] ;;
    *) return 1 ;;
  esac
}

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == /* ]]; }

# Polls "$@" until it succeeds or TIMEOUT seconds have passed.
wait_for() {
  local deadline=$((SECONDS + TIMEOUT))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

APT_UPDATED=
apt_install() {
  if [[ $(id -u) != 0 ]] || ! have apt-get; then
    return 1
  fi
  say "installing $* with apt-get"
  if [[ -z $APT_UPDATED ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

compose_hint() {
  say "no local $1 could be started. With Docker: \`docker compose up -d postgres redis\`, then"
  say "  export DATABASE_URL=postgres://herald:herald@127.0.0.1:5432/herald REDIS_URL=redis://127.0.0.1:6379"
  exit 1
}

# --- Postgres -----------------------------------------------------------------
# Prints one word: ok, down, nodb, norole, auth, or "error <message>".
pg_probe_node() {
  # shellcheck disable=SC2016
  node -e '
    const { Client } = require("pg");
    const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    client.on("error", () => undefined);
    client.connect().then(
      () => client.query("select 1").then(() => { console.log("ok"); return client.end(); }),
      (e) => {
        const m = String(e && e.message);
        const code = e.code || (Array.isArray(e.errors) && e.errors[0] ? e.errors[0].code : undefined);
        if (["ECONNREFUSED", "ECONNRESET", "ENOENT", "ETIMEDOUT", "EHOSTUNREACH", "57P03"].includes(code) || /timeout|terminated/i.test(m)) console.log("down");
        else if (code === "3D000") console.log("nodb");
        else if (/role .* does not exist/.test(m)) console.log("norole");
        else if (code === "28P01" || /password/i.test(m)) console.log("auth");
        else console.log("error " + m.replace(/\s+/g, " "));
      },
    ).catch((e) => console.log("error " + String(e && e.message)));
  ' "$1" 2>/dev/null || echo "error node-postgres failed"
}

pg_probe_psql() {
  local out
  if out=$(PGCONNECT_TIMEOUT=3 psql "$1" -w -Atqc 'select 1' 2>&1); then
    echo ok
  elif [[ $out == *"does not exist"* && $out == *database* ]]; then
    echo nodb
  elif [[ $out == *role*"does not exist"* ]]; then
    echo norole
  elif [[ $out == *password* ]]; then
    echo auth
  elif [[ $out == *"Connection refused"* || $out == *"No such file"* || $out == *timeout* || $out == *"starting up"* ]]; then
    echo down
  else
    echo "error ${out//$'\n'/ }"
  fi
}

pg_probe() {
  if node_has pg; then
    pg_probe_node "$1"
  elif have psql; then
    pg_probe_psql "$1"
  elif tcp_open "$PG_HOST" "$PG_PORT"; then
    echo ok # cannot look closer without pg or psql; the app will report the rest
  else
    echo down
  fi
}

pg_up() { [[ $(pg_probe "$DATABASE_URL") != down ]]; }

pg_sql_admin() { # runs one statement on the maintenance database as the URL's user
  if node_has pg; then
    # shellcheck disable=SC2016
    node -e '
      const { Client } = require("pg");
      const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
      client.connect()
        .then(() => client.query(process.argv[2]))
        .then(() => client.end(), (e) => { if (e.code !== "42P04") { console.error(e.message); process.exitCode = 1; } return client.end(); })
        .catch((e) => { console.error(e.message); process.exit(1); });
    ' "$ADMIN_URL" "$1"
  else
    psql "$ADMIN_URL" -w -qc "$1" >/dev/null
  fi
}

pg_sql_superuser() { # runs one statement as the local postgres superuser (peer auth)
  local sock=()
  [[ $PG_HOST == /* ]] && sock=(-h "$PG_HOST")
  if [[ $(id -un) == postgres ]]; then
    psql "${sock[@]}" -p "$PG_PORT" -d postgres -Xqc "$1" >/dev/null
  elif [[ $(id -u) == 0 ]] && have runuser && have psql; then
    (cd / && runuser -u postgres -- psql "${sock[@]}" -p "$PG_PORT" -d postgres -Xqc "$1" >/dev/null)
  else
    return 1
  fi
}

PG_INSTALLED_NOW=
pg_start_local() {
  if ! have pg_ctlcluster && ! [[ -d /etc/postgresql ]]; then
    apt_install postgresql || return 1
    PG_INSTALLED_NOW=1
  fi
  say "starting PostgreSQL on port $PG_PORT"
  local started=
  if have pg_lsclusters && have pg_ctlcluster; then
    local ver name port status _rest
    while read -r ver name port status _rest; do
      if [[ $port == "$PG_PORT" && $status != online ]]; then
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >/dev/null 2>&1 && started=1
      fi
    done < <(pg_lsclusters -h 2>/dev/null)
  fi
  if [[ -z $started ]] && have service; then
    service postgresql start >/dev/null 2>&1 || true
  fi
  wait_for pg_up
}

# Local clusters we just installed only allow passwords on TCP; let the dev role in.
pg_trust_local_role() {
  local hba changed=
  for hba in /etc/postgresql/*/*/pg_hba.conf; do
    [[ -f $hba ]] || continue
    grep -q "^host all $PG_USER 127.0.0.1/32 trust" "$hba" && continue
    sed -i "1i host all $PG_USER 127.0.0.1/32 trust\nhost all $PG_USER ::1/128 trust" "$hba"
    changed=1
  done
  [[ -n $changed ]] && pg_sql_superuser 'select pg_reload_conf()'
  return 0
}

ensure_postgres() {
  local state
  state=$(pg_probe "$DATABASE_URL")
  if [[ $state == down ]]; then
    if ! is_local "$PG_HOST"; then
      die "PostgreSQL at $PG_HOST:$PG_PORT is not reachable (check DATABASE_URL)"
    fi
    pg_start_local || compose_hint PostgreSQL
    state=$(pg_probe "$DATABASE_URL")
  fi

  if [[ $state == norole || ($state == auth && -n $PG_INSTALLED_NOW) ]]; then
    is_local "$PG_HOST" || die "PostgreSQL role \"$PG_USER\" cannot log in at $PG_HOST:$PG_PORT (check DATABASE_URL)"
    if [[ $state == norole ]]; then
      say "creating PostgreSQL role \"$PG_USER\""
      local password_clause=""
      [[ -n $PG_PASSWORD ]] && password_clause=" password '${PG_PASSWORD//\'/\'\'}'"
      pg_sql_superuser "create role \"$PG_USER\" login superuser$password_clause" ||
        die "could not create role \"$PG_USER\"; run as root, or create it: createuser -s $PG_USER"
    fi
    [[ -n $PG_INSTALLED_NOW && -z $PG_PASSWORD ]] && pg_trust_local_role
    state=$(pg_probe "$DATABASE_URL")
  fi

  case $state in
    ok) ;;
    nodb)
      say "creating database \"$PG_DB\""
      pg_sql_admin "create database \"${PG_DB//\"/\"\"}\"" ||
        die "could not create database \"$PG_DB\"; create it yourself: createdb $PG_DB"
      [[ $(pg_probe "$DATABASE_URL") == ok ]] || die "database \"$PG_DB\" still not usable at $PG_HOST:$PG_PORT"
      ;;
    auth) die "PostgreSQL rejected the credentials for \"$PG_USER\" (put the password in DATABASE_URL or allow trust for it in pg_hba.conf)" ;;
    norole) die "PostgreSQL role \"$PG_USER\" does not exist; create it: createuser -s $PG_USER" ;;
    down) compose_hint PostgreSQL ;;
    *) die "PostgreSQL at $PG_HOST:$PG_PORT: ${state#error }" ;;
  esac
}

# --- Redis --------------------------------------------------------------------
redis_up() {
  if node_has ioredis; then
    # shellcheck disable=SC2016
    node -e '
      const { Redis } = require("ioredis");
      const r = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
      r.on("error", () => undefined);
      r.connect().then(() => r.ping()).then(
        (a) => { r.disconnect(); process.exit(a === "PONG" ? 0 : 1); },
        () => { r.disconnect(); process.exit(1); },
      );
    ' "$REDIS_URL" 2>/dev/null
  elif have redis-cli; then
    [[ $(timeout 3 redis-cli -u "$REDIS_URL" ping 2>/dev/null) == PONG ]]
  else
    # shellcheck disable=SC2016
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && read -r line <&3 && [[ $line == +PONG* ]]' \
      "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
  fi
}

redis_start_local() {
  if ! have redis-server; then
    apt_install redis-server || return 1
    # The package may have started its own server already.
    wait_for redis_up && return 0
  fi
  say "starting Redis on port $REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || return 1
  wait_for redis_up
}

ensure_redis() {
  redis_up && return 0
  if ! is_local "$REDIS_HOST"; then
    die "Redis at $REDIS_HOST:$REDIS_PORT is not reachable (check REDIS_URL)"
  fi
  if tcp_open "$REDIS_HOST" "$REDIS_PORT"; then
    die "something listens on $REDIS_HOST:$REDIS_PORT but does not answer Redis PING (password? check REDIS_URL)"
  fi
  redis_start_local || compose_hint Redis
}

ensure_postgres
ensure_redis

#!/usr/bin/env bash
# One command from clone to a running Herald on this machine (`npm run quickstart`):
# dependencies, Postgres + Redis, build, migrate, then the all-in-one server.
# Mail goes to .eml files under OUTBOX_DIR (no provider credentials needed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "quickstart: $*" >&2; }

# shellcheck source=scripts/ensure-deps.sh
source scripts/ensure-deps.sh

export PORT=${PORT:-8002}
export DATABASE_URL=${DATABASE_URL:-postgres://root@127.0.0.1:5432/herald}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export OUTBOX_DIR=${OUTBOX_DIR:-var/outbox}
# No provider chain: every message is written to OUTBOX_DIR (DESIGN section 5).
unset MAIL_PROVIDERS

mkdir -p var "$OUTBOX_DIR"

# A stable admin key for this checkout, so curl examples keep working across runs.
if [[ -z ${HERALD_ADMIN_KEY:-} ]]; then
  if [[ ! -s var/dev-admin-key ]]; then
    (umask 077 && node -e 'console.log("dev_" + require("crypto").randomBytes(24).toString("hex"))' >var/dev-admin-key)
  fi
  HERALD_ADMIN_KEY=$(<var/dev-admin-key)
  admin_key_note="$HERALD_ADMIN_KEY (stored in var/dev-admin-key)"
  key_ref='$(cat var/dev-admin-key)'
else
  admin_key_note="from HERALD_ADMIN_KEY in your environment"
  key_ref='$HERALD_ADMIN_KEY'
fi
export HERALD_ADMIN_KEY

# Accounts (shared/design/accounts.md): anyone may register here, and access tokens are
# signed with a secret generated once for this checkout and reused on later runs.
export REGISTRATION=${REGISTRATION:-open}
if [[ -z ${JWT_SECRET:-} ]]; then
  if [[ ! -s var/dev-jwt-secret ]]; then
    (umask 077 && node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))' >var/dev-jwt-secret)
  fi
  JWT_SECRET=$(<var/dev-jwt-secret)
fi
export JWT_SECRET
export PUBLIC_URL=${PUBLIC_URL:-http://localhost:$PORT}
# A stable key for secrets at rest (identities' SMTP passwords, webhook secrets), like the admin key (design/accounts.md).
if [[ -z ${CREDENTIALS_KEYS:-} ]]; then
  if [[ ! -s var/credentials-keys ]]; then
    (umask 077 && node -e 'console.log("dev1:" + require("crypto").randomBytes(32).toString("base64"))' >var/credentials-keys)
  fi
  CREDENTIALS_KEYS=$(<var/credentials-keys)
fi
export CREDENTIALS_KEYS
# On this development machine webhooks may go to a receiver on localhost over plain http.
export WEBHOOK_ALLOW_HTTP=${WEBHOOK_ALLOW_HTTP:-true}
export WEBHOOK_ALLOW_PRIVATE=${WEBHOOK_ALLOW_PRIVATE:-true}
# Likewise a sender identity's own SMTP server may be a mail catcher on this machine (any port, no TLS).
export SMTP_ALLOW_PRIVATE_HOSTS=${SMTP_ALLOW_PRIVATE_HOSTS:-true}

ensure_deps
bash scripts/services.sh

say "building"
npm run --silent build
say "migrating $DATABASE_URL"
node dist/services/main.js migrate

# The console's first admin (console.md): made on the first run, its password kept in var/.
CONSOLE_ADMIN=admin
if [[ ! -s var/console-admin-password ]]; then
  (umask 077 && node -e 'console.log(require("crypto").randomBytes(15).toString("base64url"))' >var/console-admin-password)
fi
node dist/services/main.js users create-admin --username "$CONSOLE_ADMIN" --email "$CONSOLE_ADMIN@example.com" --password-file var/console-admin-password >&2

base="http://localhost:$PORT"
cat <<INFO

  Herald is starting on $base
    console:  $base/console/
              sign in as $CONSOLE_ADMIN, password $(<var/console-admin-password) (stored in var/console-admin-password)
    health:   $base/healthz
    API docs: $base/docs
    outbox:   $OUTBOX_DIR (each message is an .eml file: the verification codes too)
    terminal: npx herald (HERALD_URL=$base)
    admin key: $admin_key_note

  In the terminal: run \`npx herald\` in another terminal (in this folder), choose Register,
  and send an email from the menu. The verification code is mailed like everything else:
  to an .eml file in $OUTBOX_DIR/:  grep -l 'To: YOUR-ADDRESS' $OUTBOX_DIR/*.eml | xargs grep -h 'paste this code'

  Try it with curl:
    curl -sS -X POST $base/api/contact \\
      -H 'Content-Type: application/json' \\
      -d '{"name":"Ada Lovelace","email":"ada@example.com","message":"Hello from the quickstart"}'

    curl -sS $base/api/contact -H "Authorization: Bearer $key_ref"

  Register (REGISTRATION=$REGISTRATION), read the code from the mail in the outbox, verify, send:
    curl -sS -X POST $base/api/auth/register -H 'Content-Type: application/json' \
      -d '{"username":"ada","email":"ada@example.com","password":"correct horse battery staple"}'
    grep -h 'paste this code' $OUTBOX_DIR/*.eml
    curl -sS -X POST $base/api/auth/verify -H 'Content-Type: application/json' -d '{"token":"THE-CODE"}'
  (README.md, "Accounts", goes on from there: log in, send with a PDF, refresh, sender identities.)

  Stop with Ctrl-C.

INFO

# V8 options: services/platform/node-flags.ts.
exec node --max-semi-space-size=8 --max-old-space-size=256 dist/services/main.js serve

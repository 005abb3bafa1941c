#!/usr/bin/env bash
# Installs the programs the end-to-end tests drive, when they are missing:
# tmux (the terminal mode, through a real pseudo-terminal) and Debian's
# chromium (the console, through playwright-core). Like scripts/services.sh,
# it uses apt-get when run as root and otherwise says what to install.
#
#   bash scripts/test-tools.sh
set -euo pipefail

say() { echo "test-tools: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have tmux || missing+=(tmux)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) != 0 ]] || ! have apt-get; then
  say "missing: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again."
  exit 1
fi
say "installing ${missing[*]} with apt-get"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages the test suite and `make serve` start themselves, when missing:
# chromium (browser tests), redis-server (shared cache, rate limits), postgresql (CI, make serve) and wrk
# (the bench's HTTP load generator; without it the bench falls back to Python threads).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v wrk >/dev/null || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Please install these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "== installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
# Debian starts a system redis-server and postgresql on install; the project runs its own.
(systemctl disable --now redis-server postgresql 2>/dev/null || service redis-server stop 2>/dev/null || true) >/dev/null 2>&1

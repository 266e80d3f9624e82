#!/usr/bin/env bash
# `make serve`: kolshop's production shape on this machine, with nothing installed by hand.
# PostgreSQL and Redis (Debian packages, started here on loopback), settings.production, migrations,
# then every process of the Procfile (gunicorn with several workers, the task worker, the scheduler).
# SERVE_SMOKE=1 runs .ci/smoke.py against it once it is ready, then stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/debian-packages.sh

HOST="${HOST:-127.0.0.1}"; PORT="${PORT:-8000}"
PG_PORT="${SERVE_PG_PORT:-54340}"; REDIS_PORT="${SERVE_REDIS_PORT:-63790}"
STATE="${SERVE_STATE:-$PWD/var/serve}"
mkdir -p "$STATE"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$PG_BIN/pg_ctl" -D "$STATE/pg" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

mkdir -p "$STATE/pg" "$STATE/pglog"; chmod 700 "$STATE/pg"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$STATE/pg" "$STATE/pglog"; chmod 755 "$STATE"; fi
if [ ! -f "$STATE/pg/PG_VERSION" ]; then
  as_pg "$PG_BIN/initdb" -D "$STATE/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
as_pg "$PG_BIN/pg_ctl" -D "$STATE/pg" -l "$STATE/pglog/server.log" -w \
  -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kolshop'" \
  | grep -q 1 || as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres kolshop
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$STATE" \
  >"$STATE/redis.log" 2>&1 &
pids+=($!)

[ -f "$STATE/secret" ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" >"$STATE/secret"
export DJANGO_SETTINGS_MODULE=settings.production
export DJANGO_SECRET_KEY="$(cat "$STATE/secret")"
export DJANGO_ALLOWED_HOSTS="$HOST,localhost,127.0.0.1"
export DJANGO_CSRF_TRUSTED_ORIGINS="http://$HOST:$PORT"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/kolshop"
export CACHE_URL="redis://127.0.0.1:$REDIS_PORT/0"
export WAGTAILADMIN_BASE_URL="http://$HOST:$PORT"
export MEDIA_ROOT="$STATE/media" STATIC_ROOT="$STATE/static"
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0  # plain HTTP on loopback only
export KOLSHOP_PAYMENT_GATEWAY="${KOLSHOP_PAYMENT_GATEWAY:-dummy}"
if [ "${SERVE_SMOKE:-0}" = 1 ]; then
  # The smoke test pays through Stripe's API and webhooks: localstripe stands in, on loopback.
  STRIPE_PORT="${SERVE_STRIPE_PORT:-8420}"
  .venv/bin/python -c 'import sys; from aiohttp import web; from localstripe.server import app; web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)' "$STRIPE_PORT" >"$STATE/localstripe.log" 2>&1 &
  pids+=($!)
  export KOLSHOP_PAYMENT_GATEWAY=stripe STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"
  export STRIPE_SECRET_KEY=sk_test_smoke STRIPE_PUBLISHABLE_KEY=pk_test_smoke STRIPE_WEBHOOK_SECRET=whsec_smoke
fi
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
export GUNICORN_BIND="$HOST:$PORT" WEB_CONCURRENCY="${WEB_CONCURRENCY:-3}"
export PATH="$PWD/.venv/bin:$PATH"

python manage.py migrate --no-input -v0
python manage.py collectstatic --no-input -v0

while IFS= read -r line; do
  case "$line" in ""|\#*) continue ;; esac
  name="${line%%:*}"; command="${line#*:}"
  bash -c "exec $command" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
done < Procfile

python - "http://$HOST:$PORT/readyz" <<'PY' || { echo "kolshop did not become ready" >&2; exit 1; }
import sys, time, urllib.request
for _ in range(90):
    try:
        if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(1)
sys.exit(1)
PY
echo
echo "kolshop (production shape) is at http://$HOST:$PORT/  (admin: /admin/, health: /healthz /readyz)"

if [ "${SERVE_SMOKE:-0}" = 1 ]; then
  python .ci/smoke.py "http://$HOST:$PORT"
  exit $?
fi
wait -n

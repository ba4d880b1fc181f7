#!/usr/bin/env bash
# Run every test on SQLite, then the database tests again on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONDONTWRITEBYTECODE=1
export IOP_ARTIFACTS="${IOP_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$IOP_ARTIFACTS"

# IOP_TEST_PHASES="postgres" (or "sqlite") runs one phase only, for a quicker local check.
PHASES="${IOP_TEST_PHASES:-sqlite postgres}"

if [[ " $PHASES " == *" sqlite "* ]]; then
  echo "== all tests on SQLite =="
  $BIN/python -m pytest -q --basetemp="$IOP_ARTIFACTS/tmp-sqlite"
fi
[[ " $PHASES " == *" postgres "* ]] || exit 0

echo "== database tests again on PostgreSQL =="
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGROOT=$(mktemp -d /tmp/iop-pg.XXXXXX)
PGPORT=${PGPORT:-$($BIN/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGROOT"
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGROOT"; }
trap stop_pg EXIT
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w start \
  -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" >/dev/null
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
$BIN/python -m pytest -q -m db --basetemp="$IOP_ARTIFACTS/tmp-postgres"

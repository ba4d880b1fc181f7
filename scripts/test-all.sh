#!/usr/bin/env bash
# Lint (ruff, and mypy on core/), then every test on SQLite, then the database tests again on a
# throwaway PostgreSQL server. A lint finding fails the run, after the tests have still run.
# Prints pytest's 15 slowest steps per phase, and at the end how long each phase took: wall-clock
# time, and the CPU time its processes used (on a shared machine the second is the steadier one).
# Extra arguments go to pytest in both phases (e.g. `bash scripts/test-all.sh -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONDONTWRITEBYTECODE=1
export IOP_ARTIFACTS="${IOP_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$IOP_ARTIFACTS"

# IOP_TEST_PHASES="postgres" (or "lint", or "sqlite") runs one phase only, for a quicker local check.
PHASES="${IOP_TEST_PHASES:-lint sqlite postgres}"
PYTEST=("$BIN/python" -m pytest -q --durations=15 "$@")

STARTED=$SECONDS
TIMES=()
PGROOT=""
CPU_FILE=$(mktemp)
cpu_seconds() {  # sets CPU: user + system seconds of this shell's finished children (bash's `times`,
  times > "$CPU_FILE"   # which must run in this shell, not in a $(subshell))
  CPU=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$CPU_FILE")
}
timed() {  # timed "label" command...: run it, note how long it took (even when it fails)
  local label=$1 t=$SECONDS cpu rc=0
  cpu_seconds
  cpu=$CPU
  shift
  "$@" || rc=$?
  cpu_seconds
  TIMES+=("$(printf '%-40s %5ds wall %5ds CPU%s' "$label" $((SECONDS - t)) $((CPU - cpu)) \
             "$([ $rc = 0 ] || echo "  (failed: exit $rc)")")")
  return $rc
}
finish() {
  local rc=$?
  if [ -n "$PGROOT" ]; then stop_pg; fi
  echo
  echo "== phase times =="
  printf '%s\n' "${TIMES[@]}"
  cpu_seconds
  rm -f "$CPU_FILE"
  printf '%-40s %5ds wall %5ds CPU\n' "total" $((SECONDS - STARTED)) "$CPU"
  exit $rc
}
trap finish EXIT

LINT_FAILED=""
lint() {  # the settings are pyproject.toml's [tool.ruff] and [tool.mypy]
  local rc=0
  "$BIN/ruff" check --quiet . || rc=1
  "$BIN/ruff" format --check --quiet . || rc=1   # `ruff format .` fixes it
  "$BIN/mypy" || rc=1      # core/, with the ratchet list in pyproject.toml
  return $rc
}
if [[ " $PHASES " == *" lint "* ]]; then
  echo "== lint =="
  timed "lint: ruff check/format, mypy core/" lint || LINT_FAILED=1
fi

if [[ " $PHASES " == *" sqlite "* ]]; then
  echo "== all tests on SQLite =="
  timed "SQLite: every test" "${PYTEST[@]}" --basetemp="$IOP_ARTIFACTS/tmp-sqlite"
fi
lint_verdict() {  # called last: the tests ran either way, but a lint finding fails the run
  if [ -n "$LINT_FAILED" ]; then echo "lint failed: see the findings under '== lint ==' above"; exit 1; fi
}
[[ " $PHASES " == *" postgres "* ]] || { lint_verdict; exit 0; }

echo "== database tests again on PostgreSQL =="
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGPORT=${PGPORT:-$($BIN/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGROOT"; }
start_pg() {
  PGROOT=$(mktemp -d /tmp/iop-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGROOT"; fi
  as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w start \
    -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" >/dev/null
}
timed "PostgreSQL: start a throwaway server" start_pg
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
timed "PostgreSQL: the database tests" "${PYTEST[@]}" -m db --basetemp="$IOP_ARTIFACTS/tmp-postgres"
lint_verdict

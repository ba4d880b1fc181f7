#!/usr/bin/env bash
# Lint (ruff, and mypy on core/), every test on SQLite and the database tests again on a throwaway
# PostgreSQL server, all three side by side. A lint finding fails the run, after the tests have still
# run.
#
# Pace: each test phase runs with pytest-xdist workers (IOP_TEST_WORKERS, 2 by default; the
# templates are built once per phase and shared, each test still gets a database of its own), and
# the two phases run side by side: the SQLite phase waits on browsers and Streamlit servers (e2e)
# while the PostgreSQL phase waits on its server, so together they keep both cores busy. The
# PostgreSQL phase's output is printed, whole, once it ends.
#
# Prints pytest's 15 slowest steps per phase, and at the end how long each phase took: wall-clock
# time, and the CPU time its processes used (on a shared machine the second is the steadier one;
# the PostgreSQL server's own CPU is shown on a line of its own). Each phase's pytest runs under
# scripts/reap.py, which adopts the processes whose parent ends first (Chromium's renderers and
# helpers, a third of the SQLite phase's CPU, were never waited for, so `times` never counted them).
# Extra arguments go to pytest in both phases (e.g. `bash scripts/test-all.sh -x`).
# IOP_TEST_PHASES="postgres" (or "lint", or "sqlite", or two of them) runs only those phases;
# IOP_TEST_WORKERS=0 runs each phase in one process (pytest without xdist); with it, `-p tests.cpu_profile`
# prints the CPU seconds of each test file (its processes, Chromium's included, and in the PostgreSQL phase the
# server's, IOP_PG_DATA); IOP_CPU_PROFILE_TESTS=1 adds the 40 dearest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export IOP_ARTIFACTS="${IOP_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$IOP_ARTIFACTS"
# Compiled bytecode is kept (in __pycache__ folders, which git ignores): with PYTHONDONTWRITEBYTECODE
# set, as it may be in the environment, every pytest worker and every e2e server compiled the
# project from source again, and pytest rewrote the asserts of hypothesis and of every test module
# again (~5 CPU seconds per process, for the collection alone).
unset PYTHONDONTWRITEBYTECODE

PHASES="${IOP_TEST_PHASES:-lint sqlite postgres}"
WORKERS="${IOP_TEST_WORKERS:-2}"
# loadgroup: the tests of one e2e module stay on one worker, so each module starts one server
# (tests/conftest.py groups them); every other test goes to whichever worker is free.
XDIST=()
[ "$WORKERS" = 0 ] || XDIST=(-n "$WORKERS" --dist loadgroup)
PYTEST=("$BIN/python" scripts/reap.py "$BIN/python" -m pytest -q --durations=15 "${XDIST[@]}" "$@")

STARTED=$SECONDS
PGROOT=""
WORK=$(mktemp -d /tmp/iop-test-all.XXXXXX)
: > "$WORK/phases"
cpu_seconds() {  # sets CPU: user + system seconds of this shell's finished children (bash's `times`,
  local file="$WORK/times.$BASHPID"  # (in the $(...) below, BASHPID is another process's)
  times > "$file"   # which must run in this very shell, not in a $(subshell) or a pipe)
  CPU=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$file")
}
# timed "label" command...: run it in a subshell of its own and note, in $WORK/phases, how long it
# took (even when it fails): wall-clock seconds, and the user + system CPU seconds of the processes
# it waited for (read in that subshell, so phases running side by side are counted apart).
timed() {
  local label=$1
  shift
  (
    t=$SECONDS
    rc=0
    "$@" || rc=$?
    cpu_seconds
    printf '%-40s %5ds wall %5ds CPU%s\n' "$label" $((SECONDS - t)) "$CPU" \
      "$([ $rc = 0 ] || echo "  (failed: exit $rc)")" >> "$WORK/phases"
    exit $rc
  )
}
finish() {
  local rc=$?
  if [ -n "$PGROOT" ]; then stop_pg; fi
  echo
  echo "== phase times =="
  cat "$WORK/phases"
  cpu_seconds
  printf '%-40s %5ds wall %5ds CPU\n' "total (the server's own CPU aside)" $((SECONDS - STARTED)) "$CPU"
  rm -rf "$WORK"
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
# The lint runs beside the test phases, not before them: on its own it kept both test phases waiting
# ~20 s (mypy from a clean clone) while using one core. Its findings are printed once the SQLite
# phase ends.
LINT_PID=""
if [[ " $PHASES " == *" lint "* ]]; then
  echo "lint: started in the background; its findings follow the SQLite phase"
  timed "lint: ruff check/format, mypy core/" lint > "$WORK/lint.log" 2>&1 &
  LINT_PID=$!
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_cpu() {  # CPU seconds of the PostgreSQL server and the backends it has reaped (/proc/PID/stat)
  local pid
  pid=$(head -n 1 "$PGROOT/data/postmaster.pid" 2>/dev/null) || return 0
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15 + $16 + $17) / hz }' "/proc/$pid/stat" 2>/dev/null || true
}
stop_pg() {
  local cpu
  cpu=$(pg_cpu)
  [ -z "$cpu" ] || printf '%-40s %5s      %5ds CPU\n' "PostgreSQL: the server itself" "" "$cpu" >> "$WORK/phases"
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
  PGROOT=""
}
# The throwaway cluster lives in memory (/dev/shm, a tmpfs) when there is room: every test creates a
# database from a template (~300 files) and drops it, and on ext4 finding a free inode among so many
# recently deleted ones cost the server most of its CPU (~140 ms per test, in the kernel:
# ext4_create > recently_deleted, seen with perf); on tmpfs the whole phase's server CPU fell ~4x.
pg_folder() {
  local free
  free=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $1 == "tmpfs" { print $4 }')
  if [ -n "$free" ] && [ "$free" -gt $((3 * 1024 * 1024)) ]; then echo /dev/shm; else echo /tmp; fi
}
# max_connections: each worker keeps the app's engine for each of its two databases from test to test
# (tests/conftest.py, PgPool), up to 10 idle connections each, beside a test's own up to 40 (db.PG_POOL +
# PG_OVERFLOW); two workers at their worst would pass the default 100.
start_pg() {
  PGROOT=$(mktemp -d "$(pg_folder)/iop-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGROOT"; fi
  as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w start \
    -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" >/dev/null
}

PG_PID=""
if [[ " $PHASES " == *" postgres "* ]]; then
  PGPORT=${PGPORT:-$($BIN/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
  start_pg  # here, not in a subshell: stop_pg (on exit) needs PGROOT
  echo "PostgreSQL phase: started in the background; its output follows the SQLite phase"
  TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres" IOP_PG_DATA="$PGROOT/data" \
    timed "PostgreSQL: the database tests" "${PYTEST[@]}" -m db --basetemp="$IOP_ARTIFACTS/tmp-postgres" \
    > "$WORK/postgres.log" 2>&1 &
  PG_PID=$!
fi

TESTS_FAILED=""
if [[ " $PHASES " == *" sqlite "* ]]; then
  echo "== all tests on SQLite =="
  timed "SQLite: every test" "${PYTEST[@]}" --basetemp="$IOP_ARTIFACTS/tmp-sqlite" || TESTS_FAILED=1
fi

if [ -n "$LINT_PID" ]; then
  wait "$LINT_PID" || LINT_FAILED=1
  echo
  echo "== lint =="
  cat "$WORK/lint.log"
fi

if [ -n "$PG_PID" ]; then
  wait "$PG_PID" || TESTS_FAILED=1
  echo
  echo "== database tests again on PostgreSQL =="
  cat "$WORK/postgres.log"
  stop_pg
fi

if [ -n "$LINT_FAILED" ]; then echo "lint failed: see the findings under '== lint ==' above"; exit 1; fi
[ -z "$TESTS_FAILED" ] || exit 1

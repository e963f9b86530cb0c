#!/usr/bin/env bash
# The whole test suite, on SQLite and then on PostgreSQL.
#
# PostgreSQL is TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres;
# pytest-django creates and drops its own test_* database there). Without a reachable
# server the PostgreSQL run is skipped and says so; under CI (CI=true) the server is
# started if it is down, and the run fails rather than skip.
#
# The end-to-end tests (marked e2e, skinterval/e2e/) drive Debian's Chromium and run
# once, in the SQLite pass. scripts/ensure_chromium.sh installs Chromium when it is
# missing and it can; when it cannot they are skipped and this says so, except under
# CI, where they fail.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
CI="${CI:-}"

pytest_run() {
  local label="$1"; shift
  echo "==> Tests on ${label}"
  "$BIN/pytest" "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "!! No tests were collected on ${label}: the suite is missing." >&2
    return 1
  fi
  return "$rc"
}

pg_reachable() {
  "$BIN/python" - "$PG_URL" <<'PY' >/dev/null 2>&1
import sys
import psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}

start_pg() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || return 1
  echo "==> Starting PostgreSQL ${version}"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 20); do pg_reachable && return 0; sleep 1; done
  return 1
}

status=0
if ! scripts/ensure_chromium.sh; then
  if [ "$CI" = "true" ]; then
    echo "!! Chromium is required under CI: the end-to-end tests will fail." >&2
    status=1
  else
    echo "==> End-to-end tests will be SKIPPED: Chromium is not available."
  fi
fi
env -u DATABASE_URL "$BIN/pytest" --version >/dev/null
DATABASE_URL= pytest_run "SQLite" -m "not postgres_only" "$@" || status=1

if ! pg_reachable && [ "$CI" = "true" ]; then
  start_pg || true
fi
if pg_reachable; then
  # The pure domain tests do not touch a database, and the browser tests and the
  # API fuzzing ran once already; the rest runs again on PostgreSQL.
  DATABASE_URL="$PG_URL" pytest_run "PostgreSQL" --ignore=skinterval/domain -m "not e2e and not fuzz" "$@" || status=1
elif [ "$CI" = "true" ]; then
  echo "!! PostgreSQL is not reachable at ${PG_URL} and CI requires it." >&2
  status=1
else
  echo "==> PostgreSQL run SKIPPED: no server reachable at ${PG_URL}."
  echo "    Start one (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set TEST_DATABASE_URL."
fi
exit "$status"

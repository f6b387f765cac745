#!/usr/bin/env bash
# Runs the whole suite: lint, then pytest on DuckDB and on a throw-away PostgreSQL server
# (tests/pg_server.sh installs and starts it; the trap stops it whatever happens).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check .
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_HOME="$(mktemp -d)"
cleanup() {
  bash tests/pg_server.sh stop || true
  rm -rf "$PREFECT_HOME"
}
trap cleanup EXIT
if [ -z "${CSI_TEST_PG_URL:-}" ]; then
  CSI_TEST_PG_URL="$(bash tests/pg_server.sh start)"
  export CSI_TEST_PG_URL
fi
# fetched once here, not by each pytest worker at the same time
CSI_CDNOW_SUMMARY="$(bash tests/fetch_cdnow.sh)"
CSI_CDNOW_TRANSACTIONS="$(bash tests/fetch_cdnow_transactions.sh)"
export CSI_CDNOW_SUMMARY CSI_CDNOW_TRANSACTIONS
if [ -z "${CSI_TEST_CHROMIUM:-}" ]; then
  CSI_TEST_CHROMIUM="$(bash tests/chromium.sh)"
  export CSI_TEST_CHROMIUM
fi
# two workers (the machine has two cores): much of the suite waits on subprocesses, servers and
# browsers; --dist loadfile keeps each module's tests (and its module fixtures) on one worker
$BIN/python -m pytest -q -n "${CSI_TEST_WORKERS:-2}" --dist loadfile "$@"

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
CSI_CDNOW_SUMMARY="$(bash tests/fetch_cdnow.sh)"
export CSI_CDNOW_SUMMARY
if [ -z "${CSI_TEST_CHROMIUM:-}" ]; then
  CSI_TEST_CHROMIUM="$(bash tests/chromium.sh)"
  export CSI_TEST_CHROMIUM
fi
$BIN/python -m pytest -q "$@"

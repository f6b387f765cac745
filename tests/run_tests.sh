#!/usr/bin/env bash
# Runs the whole suite: lint, then pytest (DuckDB and, when it can be started, PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check .
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_HOME="$(mktemp -d)"
trap 'rm -rf "$PREFECT_HOME"' EXIT
$BIN/python -m pytest -q "$@"

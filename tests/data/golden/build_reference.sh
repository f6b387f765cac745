#!/usr/bin/env bash
# build_reference.sh <tree> <out dir>: the warehouse of tests/pipeline/test_golden_warehouse.py,
# built by the CLI of the checkout <tree> (a `git worktree` of the commit to compare with).
set -euo pipefail
TREE=$1; OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
cd "$TREE"
export PYTHONPATH="$TREE" CSI_WAREHOUSE_URL="duckdb:///$OUT/wh.duckdb" CSI_LANDING_DIR="$OUT/landing" \
  CSI_WORK_DIR="$OUT/work" CSI_DATA_DOCS_DIR="$OUT/docs" CSI_REPORT_DIR="$OUT/reports" CSI_REPORT_AFTER_RUN=false \
  CSI_TIMEZONE=Asia/Shanghai PREFECT_HOME="$OUT/prefect" PREFECT_SERVER_ANALYTICS_ENABLED=false
"${PYTHON:-python}" -m csi.cli generate --out "$OUT/landing" --customers 150 --days 30 --start 2026-03-01 --history-days 60 --seed 11
"${PYTHON:-python}" -m csi.cli backfill --start 2026-03-01 --end 2026-03-30 --no-progress --workers 2 > "$OUT/backfill.log" 2>&1
tail -3 "$OUT/backfill.log"

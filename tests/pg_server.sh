#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite.
#
#   tests/pg_server.sh start   # installs Debian's postgresql if needed, starts it, prints the URL
#   tests/pg_server.sh stop    # stops it and deletes its data dir
#   tests/pg_server.sh url     # prints the URL of the running server
#   tests/pg_server.sh restart # restarts it in place (immediate shutdown: open connections break)
#
# Idempotent: `start` on a running server just prints its URL; `stop` on a stopped one is a no-op.
# The server listens on 127.0.0.1 only, on a free port, with its data dir, socket and log under
# $CSI_PG_DIR (default: a per-checkout dir under /tmp; the port: $CSI_PG_PORT or a free one). initdb
# refuses root, so as root the server
# runs as the `postgres` user. Authentication is scram-sha-256 with a password, so the tests can
# prove that a wrong or leaked password never shows in messages.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KEY="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
DIR="${CSI_PG_DIR:-${TMPDIR:-/tmp}/csi-pg-$KEY}"
DATA="$DIR/data"
PASSWORD="csi-test-$KEY"
USER_NAME=postgres

log() { echo "pg_server: $*" >&2; }

find_bin() {
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

install_pg() {
  log "PostgreSQL not found: installing Debian's postgresql package"
  if [ "$(id -u)" -ne 0 ]; then log "need root to apt-get install postgresql"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
}

as_owner() {  # run a command as the server's owner (postgres when we are root)
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$USER_NAME" -- "$@"; else "$@"; fi
}

url() { echo "postgresql+psycopg://${OWNER}:${PASSWORD}@127.0.0.1:$(cat "$DIR/port")/postgres"; }

running() { [ -f "$DIR/port" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if running; then url; return 0; fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  [ "$(id -u)" -eq 0 ] && chown "$USER_NAME" "$DIR"
  printf '%s\n' "$PASSWORD" > "$DIR/pwfile"
  [ "$(id -u)" -eq 0 ] && chown "$USER_NAME" "$DIR/pwfile"
  as_owner "$BIN/initdb" -D "$DATA" -U "$OWNER" --pwfile="$DIR/pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
  rm -f "$DIR/pwfile"
  local port
  port="${CSI_PG_PORT:-$(free_port)}"
  echo "$port" > "$DIR/port"
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$DIR/server.log" >&2; exit 1; }
  url
}

stop() {
  if [ -d "$DATA" ] && running; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$DIR"
}

if [ "$(id -u)" -eq 0 ]; then OWNER="$USER_NAME"; else OWNER="$(id -un)"; fi
BIN="$(find_bin || true)"
case "${1:-}" in
  start)
    if [ -z "$BIN" ]; then install_pg; BIN="$(find_bin)"; fi
    start ;;
  stop) [ -n "$BIN" ] && stop || rm -rf "$DIR" ;;
  restart)  # the same server, data and port: what a crash test needs ("the database went away")
    running || { echo "pg_server: not running" >&2; exit 1; }
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -m immediate -w -t 60 restart >/dev/null ;;
  url) running && url ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac

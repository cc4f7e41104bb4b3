#!/usr/bin/env bash
# Private PostgreSQL 15 for the store's tests: its own data directory and port, never the system one.
# usage: scripts/postgres.sh start|stop|url     (PGPORT_TRICIRCLE, PGDATA_TRICIRCLE override the defaults)
set -euo pipefail
PORT=${PGPORT_TRICIRCLE:-25432}
DATA=${PGDATA_TRICIRCLE:-/tmp/tricircle-pg}
BIN=/usr/lib/postgresql/15/bin
URL="postgresql://tricircle:tricircle@127.0.0.1:$PORT/tricircle"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
  start)
    if [ ! -x $BIN/postgres ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
      as_pg $BIN/initdb -D "$DATA" -U postgres --auth=trust >/dev/null
    fi
    if ! as_pg $BIN/pg_ctl -D "$DATA" status >/dev/null 2>&1; then
      as_pg $BIN/pg_ctl -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=600 -c fsync=off" start >/dev/null
    fi
    psql_() { $BIN/psql -h 127.0.0.1 -p "$PORT" -U postgres -qtAc "$1"; }
    psql_ "SELECT 1 FROM pg_roles WHERE rolname='tricircle'" | grep -q 1 || psql_ "CREATE ROLE tricircle LOGIN SUPERUSER PASSWORD 'tricircle'"
    psql_ "SELECT 1 FROM pg_database WHERE datname='tricircle'" | grep -q 1 || psql_ "CREATE DATABASE tricircle OWNER tricircle"
    echo "$URL"
    ;;
  stop)
    as_pg $BIN/pg_ctl -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac

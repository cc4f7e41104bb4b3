#!/usr/bin/env bash
# A PostgreSQL 15 that survives losing its primary, on loopback, for the gateway's state (issue 18):
# one etcd, three Patroni members (synchronous_mode: a commit is acknowledged once the synchronous standby
# has it, so a failover to that standby loses nothing acknowledged) and an HAProxy that sends connections to
# whichever member Patroni's REST API calls the primary (`GET /primary` answers 200 on the leader only).
# postgres-nio takes one host per URL (no libpq-style host list or target_session_attrs), so the gateway's
# `[database] connection` names HAProxy, and the store reconnects through it after a failover.
#
# usage: e2e/sites/patroni/cluster.sh up          start it all (idempotent); prints the gateway's database URL
#        e2e/sites/patroni/cluster.sh down        stop it all, remove the state directory
#        e2e/sites/patroni/cluster.sh status      patronictl list
#        e2e/sites/patroni/cluster.sh primary     the current primary's member name
#        e2e/sites/patroni/cluster.sh kill-primary   kill -9 the primary's postmaster; prints the member name
#        e2e/sites/patroni/cluster.sh run [tricircle-bench failover options]
#                                                  up, the failover benchmark over it, down (trap: also on failure)
# Everything lives under $PATRONI_DIR (default /tmp/tricircle-patroni); ports 25379-25380 (etcd), 25440
# (HAProxy -> primary), 25441-25443 (PostgreSQL), 25481-25483 (Patroni REST), 25449 (HAProxy stats).
set -euo pipefail
DIR=${PATRONI_DIR:-/tmp/tricircle-patroni}
BIN=/usr/lib/postgresql/15/bin
ETCD_PORT=25379
PROXY_PORT=25440
MEMBERS=(pg1 pg2 pg3)
pg_port() { echo $((25440 + ${1#pg})); }
api_port() { echo $((25480 + ${1#pg})); }
URL="postgresql://tricircle:tricircle@127.0.0.1:$PROXY_PORT/tricircle?sslmode=disable"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { echo "patroni-cluster: $*" >&2; }

install() {
  local missing=()
  command -v patroni >/dev/null || missing+=(patroni python3-psycopg2)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v haproxy >/dev/null || missing+=(haproxy)
  [ -x $BIN/postgres ] || missing+=(postgresql-15)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

member_config() {
  local name=$1 port api
  port=$(pg_port "$name"); api=$(api_port "$name")
  cat >"$DIR/$name.yml" <<EOF
scope: tricircle
namespace: /tricircle-e2e/
name: $name
log:
  dir: $DIR/$name-log
  level: INFO
restapi:
  listen: 127.0.0.1:$api
  connect_address: 127.0.0.1:$api
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    # A lost leader key expires after ttl s; loop_wait + 2 x retry_timeout must stay below ttl.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    # A primary whose postgres crashed is not restarted in place: fail over to the synchronous standby at once.
    primary_start_timeout: 0
    master_start_timeout: 0
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        wal_log_hints: 'on'
        fsync: 'off'
        wal_keep_size: 256MB
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $DIR/$name/data
  bin_dir: $BIN
  pgpass: $DIR/$name/pgpass
  authentication:
    replication: {username: replicator, password: replicator}
    superuser: {username: postgres, password: postgres}
    rewind: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: $DIR/$name
tags: {nofailover: false, noloadbalance: false, clonefrom: false, nosync: false}
EOF
}

haproxy_config() {
  {
    cat <<EOF
global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen stats
  mode http
  bind 127.0.0.1:25449
  stats enable
  stats uri /
listen primary
  bind 127.0.0.1:$PROXY_PORT
  option httpchk GET /primary
  http-check expect status 200
  # Checked every 500 ms; a member that stops being the primary is out after 2 failed checks and its
  # connections are cut (the store then reconnects, to the new primary).
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
EOF
    for m in "${MEMBERS[@]}"; do echo "  server $m 127.0.0.1:$(pg_port "$m") maxconn 300 check port $(api_port "$m")"; done
  } >"$DIR/haproxy.cfg"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

api() { curl -s -m 2 "http://127.0.0.1:$(api_port "$1")/$2"; }

primary() {
  for m in "${MEMBERS[@]}"; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$(api_port "$m")/primary")" = 200 ]; then
      echo "$m"; return 0
    fi
  done
  return 1
}

up() {
  install
  mkdir -p "$DIR"; chmod 755 "$DIR"
  if ! running "$DIR/etcd.pid"; then
    rm -rf "$DIR/etcd"
    etcd --name e2e --data-dir "$DIR/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster "e2e=http://127.0.0.1:$((ETCD_PORT + 1))" >"$DIR/etcd.log" 2>&1 &
    echo $! >"$DIR/etcd.pid"
    for _ in $(seq 50); do curl -s -m 1 "http://127.0.0.1:$ETCD_PORT/health" | grep -q true && break; sleep 0.2; done
  fi
  for m in "${MEMBERS[@]}"; do
    running "$DIR/$m.pid" && continue
    member_config "$m"
    mkdir -p "$DIR/$m" "$DIR/$m-log"; chown postgres:postgres "$DIR/$m" "$DIR/$m-log" "$DIR/$m.yml" 2>/dev/null || true
    chmod 700 "$DIR/$m"
    as_pg patroni "$DIR/$m.yml" >"$DIR/$m.out" 2>&1 &
    echo $! >"$DIR/$m.pid"
    # The first member bootstraps the cluster; the others clone it once it is up.
    if [ "$m" = pg1 ]; then
      for _ in $(seq 150); do primary >/dev/null && break; sleep 0.2; done
    fi
  done
  haproxy_config
  if ! running "$DIR/haproxy.pid"; then
    haproxy -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
    echo $! >"$DIR/haproxy.pid"
  fi
  # Ready when there is a primary, a synchronous standby and a third streaming member.
  local ok=""
  for _ in $(seq 300); do
    if cluster=$(curl -s -m 2 "http://127.0.0.1:$(api_port pg1)/cluster") &&
       [ "$(echo "$cluster" | python3 -c 'import json,sys; m=json.load(sys.stdin)["members"]; print(sum(1 for x in m if x.get("state") in ("running","streaming")), sum(1 for x in m if x["role"]=="sync_standby"))')" = "3 1" ]; then
      ok=1; break
    fi
    sleep 0.3
  done
  [ -n "$ok" ] || { log "the cluster did not come up with 3 members and a synchronous standby; see $DIR"; status >&2 || true; exit 1; }
  for _ in $(seq 50); do $BIN/pg_isready -q -h 127.0.0.1 -p $PROXY_PORT && break; sleep 0.2; done
  psql_() { PGPASSWORD=postgres $BIN/psql -h 127.0.0.1 -p $PROXY_PORT -U postgres -d postgres -qtAc "$1"; }
  psql_ "SELECT 1 FROM pg_roles WHERE rolname='tricircle'" | grep -q 1 || psql_ "CREATE ROLE tricircle LOGIN SUPERUSER PASSWORD 'tricircle'"
  psql_ "SELECT 1 FROM pg_database WHERE datname='tricircle'" | grep -q 1 || psql_ "CREATE DATABASE tricircle OWNER tricircle"
  log "up: primary $(primary), HAProxy 127.0.0.1:$PROXY_PORT, state in $DIR"
  echo "$URL"
}

down() {
  if running "$DIR/haproxy.pid"; then kill "$(cat "$DIR/haproxy.pid")" 2>/dev/null || true; fi
  for m in "${MEMBERS[@]}"; do
    # The pid file names runuser; Patroni is its child, and it is Patroni that must get the SIGTERM.
    if running "$DIR/$m.pid"; then
      pid=$(cat "$DIR/$m.pid"); kill $(pgrep -P "$pid") "$pid" 2>/dev/null || true
    fi
  done
  # Patroni stops its postgres on SIGTERM; wait for that, then make sure nothing of ours is left.
  for _ in $(seq 100); do
    alive=""
    for m in "${MEMBERS[@]}"; do running "$DIR/$m.pid" && alive=1; done
    [ -z "$alive" ] && break; sleep 0.2
  done
  for m in "${MEMBERS[@]}"; do
    if running "$DIR/$m.pid"; then pid=$(cat "$DIR/$m.pid"); kill -9 $(pgrep -P "$pid") "$pid" 2>/dev/null || true; fi
    if [ -f "$DIR/$m/data/postmaster.pid" ]; then
      pid=$(head -1 "$DIR/$m/data/postmaster.pid"); kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if running "$DIR/etcd.pid"; then kill "$(cat "$DIR/etcd.pid")" 2>/dev/null || true; fi
  sleep 0.5
  rm -rf "$DIR"
  log "down"
}

status() {
  for m in "${MEMBERS[@]}"; do
    running "$DIR/$m.pid" && { patronictl -c "$DIR/$m.yml" list; return 0; }
  done
  log "not running"; return 1
}

kill_primary() {
  local m pid
  m=$(primary) || { log "no primary"; exit 1; }
  pid=$(head -1 "$DIR/$m/data/postmaster.pid")
  kill -9 "$pid"
  log "killed -9 the postmaster of $m (pid $pid)"
  echo "$m"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  primary) primary ;;
  kill-primary) kill_primary ;;
  run)
    shift
    bench=${TRICIRCLE_BENCH:-$ROOT/.build/debug/tricircle-bench}
    [ -x "$bench" ] || { log "no $bench (swift build --product tricircle-bench --product tricircle)"; exit 1; }
    trap down EXIT
    url=$(up)
    TRICIRCLE_TEST_POSTGRES_URL="$url" "$bench" failover --kill-command "bash $HERE/cluster.sh kill-primary" \
      --status-command "bash $HERE/cluster.sh status" "$@"
    ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac

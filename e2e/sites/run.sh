#!/usr/bin/env bash
# Several gateways behind HAProxy over the sandbox's simulated regions, on one private PostgreSQL (issue 18):
#   bash e2e/sites/run.sh [all|up|down|e2e|load|bench]      (default: all = up, e2e, load, down)
# up:    PostgreSQL on :26180 (data in $SITES_DIR/pg), the schema migrated once, `tricircle sandbox
#        --external-gateway` (simulated Keystone :26160 + RegionOne/az1 + RegionTwo/az2, pods registered, the
#        catalog's CentralRegion endpoints at HAProxy), SITES_API_NODES x `tricircle serve --only api` (node i
#        i listens on 26100+10i+4 .. +9, so at most 5), SITES_WORKERS x `tricircle serve --only jobs`, HAProxy round robin on the catalog's
#        ports (admin 26199, compute 26198, volume 26197, network 26196, image 26195, database 26194; stats
#        :26189/stats), each node health-checked on its version document (GET /, no token).
# e2e:   the openstacksdk journey suite (e2e/suite) through HAProxy; fails unless every API node served requests.
# load:  e2e/sites/load.py: 100 boots + deletes, 8 at a time, through HAProxy; then every server once in the
#        pods, `tricircle audit` 0/0/0/0, no failed or stuck job.
# bench: wrk on a routed GET (a server's show) through HAProxy over node1 alone, then over every API node.
# down:  stops everything this script started (PID files under $SITES_DIR), PostgreSQL included.
# `all` tears down by itself (trap), also on failure; `up` leaves everything running for `e2e`/`load`/`down`.
# Env: SITES_API_NODES (2), SITES_WORKERS (2), SITES_DIR (/tmp/tricircle-sites), SITES_LOGS ($SITES_DIR/logs;
#      CI: .ci-logs/sites), TRICIRCLE_BIN (debug build), OSC_VENV (/tmp/tricircle-osc), SITES_LOAD (100).
# Ports 26100-26199 are below the kernel's ephemeral range and apart from the sandbox's (15000+, 19990-19999)
# and e2e.sh's (35000-35999), so a sandbox and this can run at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WHAT=${1:-all}
N=${SITES_API_NODES:-2}
M=${SITES_WORKERS:-2}
DIR=${SITES_DIR:-/tmp/tricircle-sites}
LOGS=${SITES_LOGS:-$DIR/logs}
OSC_VENV=${OSC_VENV:-/tmp/tricircle-osc}
PY=$OSC_VENV/bin/python
BIN=${TRICIRCLE_BIN:-$REPO/.build/debug/tricircle}
KEYSTONE_PORT=26160
PG_PORT=26180
STATS_PORT=26189
ADMIN_PORT=26199
export PGPORT_TRICIRCLE=$PG_PORT PGDATA_TRICIRCLE=$DIR/pg
# catalog name -> offset below the admin port (as `tricircle sandbox` numbers its front-ends)
FRONTS="admin:0 compute:1 volume:2 network:3 image:4 database:5"
say() { echo "=== sites: $* ($(( $(date +%s) - T0 ))s)"; }
T0=$(date +%s)

node_port() { echo $(( 26100 + 10 * $1 + $2 )); }   # node_port NODE OFFSET

wait_http() {   # wait_http URL SECONDS: until the URL answers at all
  local url=$1 n=$(( $2 * 5 ))
  for _ in $(seq 1 "$n"); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" != 000 ] && return 0
    sleep 0.2
  done
  return 1
}

node_conf() {   # node_conf NAME ADMIN_PORT WORKERS: one gateway process's config file
  local name=$1 ap=$2 workers=$3
  mkdir -p "$DIR/$name"
  cat > "$DIR/$name/tricircle.conf" <<EOF
[DEFAULT]
state_path = $DIR/$name
bind_host = 127.0.0.1
public_host = 127.0.0.1
[gateway]
admin_port = $ap
compute_port = $(( ap ? ap - 1 : 0 ))
volume_port = $(( ap ? ap - 2 : 0 ))
network_port = $(( ap ? ap - 3 : 0 ))
image_port = $(( ap ? ap - 4 : 0 ))
database_port = $(( ap ? ap - 5 : 0 ))
# HAProxy on loopback says which host:port the client used, so links point at HAProxy, not at this node
trusted_proxies = 127.0.0.1
[database]
connection = $DB_URL
auto_migrate = false
[keystone_authtoken]
auth_url = http://127.0.0.1:$KEYSTONE_PORT/v3
[client]
top_region_name = CentralRegion
[image]
home_region = RegionOne
[job]
workers = $workers
poll_interval = 0.1
EOF
  echo "$DIR/$name/tricircle.conf"
}

haproxy_conf() {   # haproxy_conf NODES...: round robin over the given API nodes
  {
    cat <<EOF
global
  maxconn 4096
  pidfile $DIR/haproxy.pid
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 30s
  option http-keep-alive
  default-server inter 1s fall 2 rise 1
listen stats
  bind 127.0.0.1:$STATS_PORT
  stats enable
  stats uri /stats
EOF
    for f in $FRONTS; do
      local name=${f%%:*} off=${f#*:}
      cat <<EOF
frontend fe_$name
  bind 127.0.0.1:$(( ADMIN_PORT - off ))
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Proto http
  default_backend be_$name
backend be_$name
  balance roundrobin
  option httpchk GET /
  http-check expect rstatus ^[23]
EOF
      for i in "$@"; do echo "  server node$i 127.0.0.1:$(node_port "$i" $(( 9 - off ))) check"; done
    done
  } > "$DIR/haproxy.cfg"
}

start_haproxy() {   # start_haproxy NODES...: (re)starts HAProxy over those nodes, waits until every node is up
  haproxy_conf "$@"
  if [ -f "$DIR/haproxy.pid" ]; then kill "$(cat "$DIR/haproxy.pid")" 2>/dev/null || true; sleep 0.3; fi
  haproxy -f "$DIR/haproxy.cfg" -db >> "$LOGS/haproxy.log" 2>&1 &
  echo $! > "$DIR/haproxy.pid"
  local want=$(( $# * 6 )) up=0
  for _ in $(seq 1 100); do
    up=$( (curl -s "http://127.0.0.1:$STATS_PORT/stats;csv" || true) | awk -F, '$2 ~ /^node/ && $18 == "UP"' | wc -l)
    [ "$up" = "$want" ] && return 0
    sleep 0.2
  done
  echo "HAProxy: only $up of $want node listeners are UP"; return 1
}

up() {
  command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null; }
  [ -x "$BIN" ] || { echo "no tricircle binary at $BIN (swift build, or set TRICIRCLE_BIN)"; return 1; }
  down quiet
  rm -rf "$DIR"; mkdir -p "$DIR" "$LOGS"
  say "PostgreSQL :$PG_PORT (private, $DIR/pg)"
  DB_URL=$(bash scripts/postgres.sh start) || return 1
  echo "$DB_URL" > "$DIR/db_url"
  TRICIRCLE_DATABASE__CONNECTION=$DB_URL "$BIN" db upgrade > "$LOGS/db-upgrade.log" 2>&1 || { cat "$LOGS/db-upgrade.log"; return 1; }

  say "simulated Keystone and regions (tricircle sandbox --external-gateway)"
  "$BIN" sandbox --external-gateway --database-connection "$DB_URL" --state-dir "$DIR/sandbox" \
    --keystone-port $KEYSTONE_PORT --admin-port $ADMIN_PORT > "$LOGS/sandbox.log" 2>&1 &
  echo $! > "$DIR/sandbox.pid"
  wait_http "http://127.0.0.1:$KEYSTONE_PORT/v3" 60 || { cat "$LOGS/sandbox.log"; return 1; }

  say "$N API nodes, $M job workers"
  local nodes=""
  for i in $(seq 1 "$N"); do
    conf=$(node_conf "node$i" "$(node_port "$i" 9)" 0)
    "$BIN" serve --config-file "$conf" --only api > "$LOGS/node$i.log" 2>&1 &
    echo $! > "$DIR/node$i.pid"; nodes="$nodes $i"
  done
  for j in $(seq 1 "$M"); do
    conf=$(node_conf "worker$j" 0 2)
    "$BIN" serve --config-file "$conf" --only jobs > "$LOGS/worker$j.log" 2>&1 &
    echo $! > "$DIR/worker$j.pid"
  done
  # shellcheck disable=SC2086
  start_haproxy $nodes || { tail -20 "$LOGS"/node*.log; return 1; }

  say "sandbox seeding through HAProxy"
  for _ in $(seq 1 300); do [ -f "$DIR/sandbox/openrc" ] && break; kill -0 "$(cat "$DIR/sandbox.pid")" 2>/dev/null || break; sleep 0.2; done
  [ -f "$DIR/sandbox/openrc" ] || { echo "the sandbox did not finish:"; tail -40 "$LOGS/sandbox.log"; return 1; }
  say "up: source $DIR/sandbox/openrc (OS_REGION_NAME=CentralRegion goes through HAProxy :$ADMIN_PORT..$(( ADMIN_PORT - 5 )))"
}

down() {
  local pid
  for f in "$DIR"/haproxy.pid "$DIR"/node*.pid "$DIR"/worker*.pid "$DIR"/sandbox.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f"); kill "$pid" 2>/dev/null || true
  done
  for f in "$DIR"/node*.pid "$DIR"/worker*.pid "$DIR"/sandbox.pid "$DIR"/haproxy.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  [ -d "$DIR/pg" ] && bash scripts/postgres.sh stop
  [ "${1:-}" = quiet ] || say "down"
}

# Requests each API node's listeners answered (HAProxy's per-server totals), "node1=123 node2=120"
served() {
  (curl -s "http://127.0.0.1:$STATS_PORT/stats;csv" || true) | awk -F, '
    NR == 1 { for (c = 1; c <= NF; c++) col[$c] = c; next }
    $1 ~ /^be_/ && $2 ~ /^node/ { for (x = 1; x <= 5; x++) n[$2] += $(col["hrsp_" x "xx"]) }
    END { for (k in n) printf "%s=%d\n", k, n[k] }' | sort | xargs
}

check_spread() {   # every API node served requests
  local counts; counts=$(served)
  echo "requests per API node (HAProxy): $counts"
  for i in $(seq 1 "$N"); do
    echo "$counts" | grep -Eq "node$i=[1-9]" || { echo "FAIL: node$i served no request"; return 1; }
  done
}

e2e() {
  say "e2e suite through HAProxy"
  ( . "$DIR/sandbox/openrc"
    E2E_AUTH_URL=$OS_AUTH_URL "$PY" e2e/suite/e2e.py --target sandbox --json "$LOGS/e2e.json" ) > "$LOGS/e2e.log" 2>&1
  local rc=$?
  grep -E "^  (PASS|FAIL|SKIP)|passed, " "$LOGS/e2e.log" | grep -Ev "^  PASS" || true
  check_spread || rc=1
  return $rc
}

load() {
  say "load: ${SITES_LOAD:-100} boots + deletes, 8 at a time, through HAProxy"
  ( . "$DIR/sandbox/openrc"
    "$PY" e2e/sites/load.py --servers "${SITES_LOAD:-100}" --concurrency 8 --tricircle "$BIN" \
      --config-file "$DIR/node1/tricircle.conf" --json "$LOGS/load.json" ) 2>&1 | tee "$LOGS/load.log"
  local rc=${PIPESTATUS[0]}
  check_spread || rc=1
  return "$rc"
}

bench() {   # wrk on a routed GET (one server's show) through HAProxy over node1 alone, then over every API node
  command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
  local secs=${SITES_BENCH_SECONDS:-15} token sid compute=http://127.0.0.1:$(( ADMIN_PORT - 1 ))/v2.1 out
  . "$DIR/sandbox/openrc"
  token=$("$PY" - <<PYEOF
from keystoneauth1 import session; from keystoneauth1.identity import v3
print(session.Session(auth=v3.Password(auth_url="$OS_AUTH_URL", username="demo", password="demopass", project_name="demo",
      user_domain_name="Default", project_domain_name="Default")).get_token())
PYEOF
)
  image=$(curl -s -H "X-Auth-Token: $token" "http://127.0.0.1:$(( ADMIN_PORT - 4 ))/v2/images?name=cirros-sandbox" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')
  sid=$(curl -s -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$compute/servers" \
    -d "{\"server\": {\"name\": \"bench\", \"flavorRef\": \"1\", \"imageRef\": \"$image\", \"availability_zone\": \"az2\", \"networks\": \"none\"}}" \
    -H 'OpenStack-API-Version: compute 2.37' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["server"]["id"])')
  echo "routed GET $compute/servers/$sid, wrk -t2 -c16 -d${secs}s, $(nproc) cores"
  local all url label; all=$(seq 1 "$N" | xargs)
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  for set in direct 1 "$all"; do
    if [ "$set" = direct ]; then
      url=http://127.0.0.1:$(node_port 1 8)/v2.1/servers/$sid; label="node1 directly (no HAProxy)"
    else
      # shellcheck disable=SC2086
      start_haproxy $set >/dev/null; url=$compute/servers/$sid; label="HAProxy over node(s) $set"
    fi
    wrk -t2 -c16 -d1s -H "X-Auth-Token: $token" "$url" >/dev/null   # warm every node's caches
    out=$(wrk -t2 -c16 -d"${secs}s" --latency -H "X-Auth-Token: $token" "$url")
    printf "%-30s %8s req/s  p50 %8s  p99 %8s  non-2xx: %s\n" "$label" \
      "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
      "$(echo "$out" | awk '$1 == "99%" {print $2}')" "$(echo "$out" | awk '/Non-2xx/ {print $NF}' | grep . || echo 0)"
  done
  curl -s -o /dev/null -X DELETE -H "X-Auth-Token: $token" "$compute/servers/$sid"
}

case "$WHAT" in
  up) up ;;
  down) down ;;
  e2e) set +e; e2e ;;
  load) set +e; load ;;
  bench) bench ;;
  all)
    mkdir -p "$LOGS"
    trap 'rc=$?; down; say "finished with status $rc"; exit $rc' EXIT
    set +e
    up || { echo "FAILED: bringing the sites up (logs in $LOGS)"; exit 1; }
    rc=0
    e2e || { echo "FAILED: e2e suite through HAProxy"; rc=1; }
    load || { echo "FAILED: load run"; rc=1; }
    [ $rc = 0 ] || { for f in "$LOGS"/node*.log "$LOGS"/worker*.log; do echo "--- $f"; grep -E "error|critical" "$f" | tail -5; done; }
    exit $rc
    ;;
  *) echo "usage: $0 [all|up|down|e2e|load|bench]"; exit 2 ;;
esac

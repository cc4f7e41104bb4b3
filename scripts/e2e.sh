#!/usr/bin/env bash
# The one command for the end-to-end suite (e2e/suite/e2e.py, openstacksdk) through the gateway's top region:
#   bash scripts/e2e.sh [sandbox|real|all] [suite args...]     (default: all = sandbox, then real)
# sandbox: `tricircle sandbox` (gateway over simulated regions) on ports 22000/22999, stopped afterwards.
# real:    real Keystone + RegionOne + RegionTwo (e2e/regions, installed and brought up when not running),
#          the gateway started over them; left running for the next call unless E2E_DOWN=1.
# Env: TRICIRCLE_BIN (default: the debug build, built here unless SKIP_BUILD=1), OSC_VENV (/tmp/tricircle-osc),
#      E2E_RESULTS (directory for JSON results and logs, default /tmp/e2e-results), E2E_DOWN=1 tear the
#      real regions down at the end (CI), BASE (real regions' state, /tmp/openstack-regions).
# Exit status: 0 when no journey failed; a broken real-region service's log is printed on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WHAT=${1:-all}; [ $# -gt 0 ] && shift
OSC_VENV=${OSC_VENV:-/tmp/tricircle-osc}
RESULTS=${E2E_RESULTS:-/tmp/e2e-results}; mkdir -p "$RESULTS"
REGIONS=$REPO/e2e/regions
export BASE=${BASE:-/tmp/openstack-regions}
rc=0
# The gateway over the real regions listens on 35984-35989, inside the kernel's ephemeral range: keep client sockets
# (thousands to the real regions) out of 35000-35999 from now on (best effort). The sandbox lives below that range
# (22000-22999): a socket an earlier CI step left in 35000-35999 once made its bind fail ("Address already in use").
if [ -w /proc/sys/net/ipv4/ip_local_reserved_ports ] && ! grep -q 35000-35999 /proc/sys/net/ipv4/ip_local_reserved_ports; then
  old=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
  echo "${old:+$old,}35000-35999" > /proc/sys/net/ipv4/ip_local_reserved_ports || true
fi
say() { echo; echo "=== e2e: $*"; }

if [ -z "${TRICIRCLE_BIN:-}" ]; then
  if [ -z "${SKIP_BUILD:-}" ]; then swift build --product tricircle 2>&1 | grep -E "error|Compiling|Build" | tail -5; fi
  TRICIRCLE_BIN=$(swift build --show-bin-path)/tricircle
fi
export TRICIRCLE_BIN
[ -x "$OSC_VENV/bin/openstack" ] || { python3 -m venv "$OSC_VENV" && "$OSC_VENV/bin/pip" install -q python-openstackclient openstacksdk; }
PY=$OSC_VENV/bin/python

# cli_line LABEL PROBE_URL CMD...: one openstack CLI smoke line; SKIP when the gateway does not serve PROBE_URL yet
cli_line() {
  local label=$1 probe=$2; shift 2
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $TOKEN" "$probe")
  if [ "$code" = 404 ] || [ "$code" = 000 ] || [ "$code" = 501 ]; then printf "  SKIP cli %-28s (GET %s -> %s)\n" "$label" "$probe" "$code"; return 0; fi
  if out=$("$@" 2>&1); then printf "  PASS cli %-28s %s\n" "$label" "$(echo "$out" | tr '\n' ' ' | cut -c1-90)"
  else printf "  FAIL cli %-28s %s\n" "$label" "$(echo "$out" | tail -2 | tr '\n' ' ')"; rc=1; fi
}

# cli_smoke ADMIN_PORT: a few openstack CLI lines at the top region (each CLI call costs ~2 s)
cli_smoke() {
  local ap=$1
  export OS_REGION_NAME=CentralRegion
  TOKEN=$("$OSC_VENV/bin/openstack" token issue -f value -c id) || { echo "  FAIL cli token issue"; rc=1; return; }
  local osc="$OSC_VENV/bin/openstack"
  cli_line "catalog show compute" "$OS_AUTH_URL" "$osc" catalog show compute -f value -c endpoints
  cli_line "availability zone list" "http://127.0.0.1:$((ap-1))/v2.1/os-availability-zone" "$osc" availability zone list --compute -f value -c "Zone Name"
  cli_line "flavor list" "http://127.0.0.1:$((ap-1))/v2.1/flavors" "$osc" flavor list -f value -c Name
  cli_line "server list --limit 1" "http://127.0.0.1:$((ap-1))/v2.1/servers" "$osc" server list --limit 1 -f value -c ID
  cli_line "image list" "http://127.0.0.1:$((ap-4))/v2/images" "$osc" image list -f value -c Name
  cli_line "network list" "http://127.0.0.1:$((ap-3))/v2.0/networks" "$osc" network list -f value -c Name
  cli_line "volume list" "http://127.0.0.1:$((ap-2))/v3/$(curl -s -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" "$OS_AUTH_URL/auth/tokens" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')/volumes" "$osc" volume list -f value -c ID
}

# cli_database ADMIN_PORT: python-troveclient (pinned from the 2026.1 constraints) at the top: an instance
# created with --availability-zone az2 lands in RegionTwo (asked directly), then deleted. Sandbox only:
# the real regions run no Trove.
cli_database() {
  local ap=$1 osc="$OSC_VENV/bin/openstack" name="e2e-cli-db-$$" pin
  pin=$(grep -i '^python-troveclient===' e2e/regions/upper-constraints-2026.1.txt | cut -d= -f4)
  "$PY" -c "import troveclient" 2>/dev/null || "$OSC_VENV/bin/pip" install -q "python-troveclient==$pin"
  export OS_REGION_NAME=CentralRegion
  TOKEN=$("$osc" token issue -f value -c id) || { echo "  FAIL cli token issue"; rc=1; return; }
  cli_line "database instance create --az az2" "http://127.0.0.1:$((ap-5))/v1.0" bash -c "
    region=\$(\"$osc\" database instance create $name --flavor 2 --size 1 --availability-zone az2 -f value -c region) &&
    [ \"\$region\" = RegionTwo ] && OS_REGION_NAME=RegionTwo \"$osc\" database instance show $name -f value -c region &&
    \"$osc\" database instance delete $name"
  # A configuration group (made in the home region, RegionOne) attached to an az1 instance and detached.
  cli_line "database configuration attach" "http://127.0.0.1:$((ap-5))/v1.0" bash -c "
    cfg=\$(\"$osc\" database configuration create $name-cfg '{\"max_connections\": 150}' --datastore mysql --datastore-version 8.0.21 -f value -c id) &&
    \"$osc\" database configuration list -f value -c ID | grep -q \$cfg && \"$osc\" database configuration show \$cfg -f value -c values &&
    \"$osc\" database instance create $name-c --flavor 2 --size 1 --datastore mysql --datastore-version 8.0.21 --availability-zone az1 -f value -c id >/dev/null &&
    for i in \$(seq 1 60); do [ \"\$(\"$osc\" database instance show $name-c -f value -c status)\" = ACTIVE ] && break; sleep 1; done &&
    \"$osc\" database configuration attach $name-c \$cfg && \"$osc\" database configuration instances \$cfg -f value -c Name &&
    \"$osc\" database configuration detach $name-c && \"$osc\" database configuration delete \$cfg && \"$osc\" database instance delete $name-c"
}

run_sandbox() {
  say "sandbox: gateway over simulated regions"
  local work; work=$(mktemp -d /tmp/e2e-sandbox.XXXXXX)
  "$TRICIRCLE_BIN" sandbox --state-dir "$work" --keystone-port 22000 --admin-port 22999 > "$RESULTS/sandbox.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 150); do [ -f "$work/openrc" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.2; done
  if [ ! -f "$work/openrc" ]; then echo "sandbox did not start:"; cat "$RESULTS/sandbox.log"; kill $pid 2>/dev/null; rc=1; return; fi
  ( . "$work/openrc"; "$PY" e2e/suite/e2e.py --target sandbox --json "$RESULTS/sandbox.json" "$@" ) || rc=1
  ( . "$work/openrc"; say "openstack CLI at the top (sandbox)"; cli_smoke 22999; cli_database 22999; exit $rc ) || rc=1
  if [ $rc != 0 ]; then echo "--- gateway/sandbox log (last 60 lines)"; tail -60 "$RESULTS/sandbox.log"; fi
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  rm -rf "$work"
}

real_up() {
  if [ ! -x "$BASE/venv/bin/keystone-manage" ]; then
    say "installing the real regions (e2e/regions/install.sh)"
    USE_UV=${USE_UV:-1} bash "$REGIONS/install.sh" > "$RESULTS/install.log" 2>&1 || { tail -40 "$RESULTS/install.log"; return 1; }
  fi
  if ! curl -s -o /dev/null http://127.0.0.1:5000/v3; then
    say "bringing up Keystone, RegionOne, RegionTwo (e2e/regions/up.sh)"
    bash "$REGIONS/up.sh" || return 1
  fi
  say "gateway over the real regions (e2e/regions/gateway.sh)"
  bash "$REGIONS/gateway.sh" stop
  bash "$REGIONS/gateway.sh" start || return 1
  (. "$REGIONS/common.sh"; python3 "$REGIONS/seed.py" RegionOne RegionTwo) || return 1
}

run_real() {
  if ! real_up; then echo "real regions did not come up"; bash "$REGIONS/diagnose.sh"; rc=1; return; fi
  say "suite over the real regions"
  local before=$rc
  "$PY" e2e/suite/e2e.py --target real --json "$RESULTS/real.json" "$@" || rc=1
  ( . "$REGIONS/common.sh"; export OS_AUTH_URL; say "openstack CLI at the top (real)"; cli_smoke "${GW_ADMIN_PORT:-35989}"; exit $rc ) || rc=1
  if [ $rc != "$before" ]; then bash "$REGIONS/diagnose.sh"; fi
}

case "$WHAT" in
  sandbox) run_sandbox "$@" ;;
  real) run_real "$@" ;;
  all) run_sandbox "$@"; run_real "$@" ;;
  *) echo "usage: $0 [sandbox|real|all] [suite args]"; exit 2 ;;
esac
if [ -n "${E2E_DOWN:-}" ] && [ "$WHAT" != sandbox ]; then bash "$REGIONS/gateway.sh" stop; bash "$REGIONS/down.sh"; fi
exit $rc

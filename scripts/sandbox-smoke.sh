#!/usr/bin/env bash
# Starts `tricircle sandbox` from the debug build, checks it with curl, the tricircle CLI and (when
# installed) the real openstack CLI, and stops it. Used by .ci/run; handy locally after a build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TRICIRCLE_BIN:-$(swift build --show-bin-path)/tricircle}
WORK=$(mktemp -d /tmp/tricircle-sandbox.XXXXXX)
LOG=$WORK/sandbox.log
"$BIN" sandbox --state-dir "$WORK" --keystone-port 25000 --admin-port 29999 > "$LOG" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -f "$WORK/openrc" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "sandbox exited early:"; cat "$LOG"; exit 1; }
  sleep 0.2
done
[ -f "$WORK/openrc" ] || { echo "sandbox did not write its openrc:"; cat "$LOG"; exit 1; }
cat "$LOG"
# shellcheck disable=SC1091
. "$WORK/openrc"
fail() { echo "FAIL: $*"; cat "$LOG"; exit 1; }

echo "--- tricircle pod list (admin API through Keystone auth)"
"$BIN" pod list --admin-url http://127.0.0.1:29999 | tee "$WORK/pods.txt"
grep -q RegionOne "$WORK/pods.txt" || fail "RegionOne pod missing"
grep -q RegionTwo "$WORK/pods.txt" || fail "RegionTwo pod missing"

echo "--- unauthenticated admin call is refused with 401"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:29999/v1.0/pods)
[ "$code" = 401 ] || fail "expected 401, got $code"

if command -v openstack >/dev/null 2>&1; then
  echo "--- openstack CLI against the sandbox"
  openstack token issue -f value -c project_id >/dev/null || fail "openstack token issue"
  openstack region list -f value -c Region | sort | tee "$WORK/regions.txt"
  grep -q RegionTwo "$WORK/regions.txt" || fail "region list"
  openstack endpoint list -f value -c "Service Type" | sort -u
  echo "--- openstack CLI against a simulated region directly (simulator fidelity with the real client)"
  export OS_REGION_NAME=RegionTwo
  openstack flavor list -f value -c Name | grep -q m1.tiny || fail "flavor list"
  image=$(openstack image list -f value -c Name | head -1); [ -n "$image" ] || fail "image list"
  openstack availability zone list -f value | grep -q az2 || fail "availability zone list"
  openstack network create smoke-net -f value -c id >/dev/null || fail "network create"
  openstack subnet create --network smoke-net --subnet-range 10.9.0.0/24 smoke-subnet -f value -c id >/dev/null || fail "subnet create"
  openstack server create --flavor m1.tiny --image "$image" --network smoke-net --availability-zone az2 --wait smoke-vm -f value -c status | tee "$WORK/server.txt"
  grep -q ACTIVE "$WORK/server.txt" || fail "server did not become ACTIVE"
  openstack server list -f value -c Name -c Status | grep -q "smoke-vm ACTIVE" || fail "server list"
  openstack volume create --size 1 smoke-vol -f value -c id >/dev/null || fail "volume create"
  openstack server delete --wait smoke-vm || fail "server delete"
  [ -z "$(openstack server list -f value -c ID)" ] || fail "server still listed after delete"
  export OS_REGION_NAME=CentralRegion
else
  echo "(openstack CLI not installed: skipping its checks)"
fi
echo "sandbox smoke: ok"

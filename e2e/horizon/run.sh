#!/usr/bin/env bash
# Horizon over the gateway, in headless Chromium: starts `tricircle sandbox` (debug build), installs and serves
# Horizon pointed at the sandbox's Keystone with CentralRegion (e2e/horizon/horizon.sh), runs browser.py
# (login, launch in az2, both regions' instances in one table, volume attach, network/subnet/router, floating
# IP, instance detail, delete everything), then stops both. Used by .ci/run; screenshots and Horizon's logs go to
# .ci-logs/horizon. A failed step fails the script and its output names Horizon's failing API calls.
# Env: TRICIRCLE_BIN, HORIZON_VENV, HORIZON_PORT (28080), HORIZON_SHOTS (.ci-logs/horizon).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Not `swift build --show-bin-path`: with the OSC venv first on PATH (CI), `swift` is python-swiftclient's.
BIN=${TRICIRCLE_BIN:-$PWD/.build/debug/tricircle}
OUT=${HORIZON_SHOTS:-$PWD/.ci-logs/horizon}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/tricircle-horizon-sandbox.XXXXXX)
KS_PORT=${HORIZON_KEYSTONE_PORT:-23000}
export HORIZON_DIR=$WORK/horizon HORIZON_KEYSTONE_URL=http://127.0.0.1:$KS_PORT/v3 HORIZON_REGION=CentralRegion
export HORIZON_URL=http://127.0.0.1:${HORIZON_PORT:-28080} HORIZON_SHOTS=$OUT HORIZON_LOG=$WORK/horizon/horizon-api.log
t0=$(date +%s)
"$BIN" sandbox --state-dir "$WORK" --keystone-port "$KS_PORT" --admin-port 23999 > "$WORK/sandbox.log" 2>&1 &
SB=$!
cleanup() {
  local rc=$?
  bash e2e/horizon/horizon.sh stop || true
  kill "$SB" 2>/dev/null || true; wait "$SB" 2>/dev/null || true
  cp "$WORK/sandbox.log" "$OUT/sandbox.log" 2>/dev/null || true
  cp "$WORK/horizon/horizon-api.log" "$OUT/horizon-api.log" 2>/dev/null || true
  cp "$WORK/horizon/server.log" "$OUT/horizon-server.log" 2>/dev/null || true
  echo "horizon e2e: $(( $(date +%s) - t0 ))s in all"
  exit $rc
}
trap cleanup EXIT
ti=$(date +%s)
bash e2e/horizon/horizon.sh install
echo "horizon installed in $(( $(date +%s) - ti ))s"
for _ in $(seq 1 150); do
  [ -f "$WORK/openrc" ] && break
  kill -0 "$SB" 2>/dev/null || { echo "sandbox exited early:"; cat "$WORK/sandbox.log"; exit 1; }
  sleep 0.2
done
[ -f "$WORK/openrc" ] || { echo "sandbox did not write its openrc"; cat "$WORK/sandbox.log"; exit 1; }
bash e2e/horizon/horizon.sh start
# The first page compiles Horizon's SCSS (django_compressor, DEBUG): warm it up outside the browser's timeouts.
tw=$(date +%s)
curl -s -o /dev/null -m 240 "$HORIZON_URL/auth/login/" || true
echo "login page warmed up in $(( $(date +%s) - tw ))s"
# A hung page must not hold CI: the browser test gets 5 minutes (it takes about 2).
timeout 300 "${HORIZON_VENV:-/tmp/tricircle-horizon}/bin/python" e2e/horizon/browser.py

#!/usr/bin/env bash
# Rally's standard scenarios (rally-openstack, its own venv) through the gateway over the sandbox and, for
# comparison, straight against one simulated region of the same sandbox; writes Rally's HTML and JSON reports,
# a per-action p50/p95/failure table (markdown + CSV) and an SVG chart into $OUT (default .ci-logs/rally).
# Over real regions: TARGET=real with e2e/regions up and the gateway started (e2e/regions/gateway.sh).
# Env: RALLY_TIMES (iterations per scenario, 10), RALLY_CONCURRENCY (2), RALLY_VENV (/tmp/tricircle-rally).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/.ci-logs/rally}; mkdir -p "$OUT"
RALLY_VENV=${RALLY_VENV:-/tmp/tricircle-rally}
TIMES=${RALLY_TIMES:-10}; CONCURRENCY=${RALLY_CONCURRENCY:-2}
TARGET=${TARGET:-sandbox}
if [ ! -x "$RALLY_VENV/bin/rally" ]; then
  python3 -m venv "$RALLY_VENV" && "$RALLY_VENV/bin/pip" install -q "rally-openstack==4.1.0"
fi
WORK=$(mktemp -d /tmp/tricircle-rally-run.XXXXXX)
SANDBOX_PID=""
cleanup() { [ -n "$SANDBOX_PID" ] && { kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; }; }
trap cleanup EXIT
if [ "$TARGET" = sandbox ]; then
  BIN=${TRICIRCLE_BIN:-$PWD/.build/debug/tricircle}
  "$BIN" sandbox --state-dir "$WORK/sandbox" --keystone-port 25100 --admin-port 29899 > "$WORK/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 1 150); do [ -f "$WORK/sandbox/openrc" ] && break; sleep 0.2; done
  [ -f "$WORK/sandbox/openrc" ] || { cat "$WORK/sandbox.log"; exit 1; }
  AUTH_URL=http://127.0.0.1:25100/v3; USER=demo; PASS=demopass; PROJECT=demo; DIRECT=RegionOne; ADMIN_PASS=secret
else
  AUTH_URL=${OS_AUTH_URL:-http://127.0.0.1:5000/v3}; USER=${RALLY_USER:-demo}; PASS=${RALLY_PASSWORD:-demopass}
  PROJECT=${RALLY_PROJECT:-demo}; DIRECT=RegionOne; ADMIN_PASS=${ADMIN_PASS:-secret}
fi
OSC=${OSC_VENV:-/tmp/tricircle-osc}/bin/openstack
head -c 1048576 /dev/urandom > "$WORK/image.img"
cat > "$WORK/rally.conf" <<CONF
[database]
connection = sqlite:///$WORK/rally.sqlite
CONF
rally() { "$RALLY_VENV/bin/rally" --config-file "$WORK/rally.conf" "$@"; }
rally db create > "$WORK/db.log" 2>&1

for REGION in CentralRegion "$DIRECT"; do
  os() { "$OSC" --os-auth-url "$AUTH_URL" --os-username "$USER" --os-password "$PASS" --os-project-name "$PROJECT" \
           --os-user-domain-name Default --os-project-domain-name Default --os-region-name "$REGION" "$@"; }
  # As an operator does before Rally: create_and_list_* keep what they make until the end (10 security groups
  # plus the default one pass Neutron's default quota of 10 at the top, as in a real Neutron).
  "$OSC" --os-auth-url "$AUTH_URL" --os-username admin --os-password "$ADMIN_PASS" --os-project-name admin \
    --os-user-domain-name Default --os-project-domain-name Default --os-region-name "$REGION" \
    quota set --secgroups $((TIMES * 2 + 10)) --networks $((TIMES * 2 + 10)) --subnets $((TIMES * 2 + 10)) "$PROJECT" \
    || echo "(could not raise $PROJECT's network quotas in $REGION)"
  net=$(os network create "rally-net-$REGION" -f value -c id)
  os subnet create --network "$net" --subnet-range 10.123.0.0/24 "rally-subnet-$REGION" -f value -c id > /dev/null
  image=$(os image list -f value -c Name | grep -m1 cirros || true)
  cat > "$WORK/env-$REGION.json" <<JSON
{"openstack": {"auth_url": "$AUTH_URL", "region_name": "$REGION", "https_insecure": true,
  "users": [{"username": "$USER", "password": "$PASS", "project_name": "$PROJECT",
             "user_domain_name": "Default", "project_domain_name": "Default"}]}}
JSON
  sed -e "s|@TIMES@|$TIMES|g; s|@CONCURRENCY@|$CONCURRENCY|g; s|@FLAVOR@|m1.tiny|g; s|@IMAGE@|$image|g" \
      -e "s|@NET@|$net|g; s|@IMAGE_FILE@|$WORK/image.img|g" e2e/rally/task.json.tmpl > "$WORK/task-$REGION.json"
  rally env create --name "tc-$REGION" --spec "$WORK/env-$REGION.json" > "$WORK/env-$REGION.log" 2>&1
  echo "--- rally over $REGION ($TIMES iterations per scenario, concurrency $CONCURRENCY)"
  t0=$(date +%s)
  rally task start --task "$WORK/task-$REGION.json" --env "tc-$REGION" --tag "$REGION" > "$OUT/task-$REGION.log" 2>&1 || true
  echo "    $(( $(date +%s) - t0 ))s"
  uuid=$(rally task list --env "tc-$REGION" --uuids-only | tail -1)
  rally task report "$uuid" --html-static --out "$OUT/report-$REGION.html" > /dev/null
  rally task report "$uuid" --json --out "$OUT/results-$REGION.json" > /dev/null
  os subnet delete "rally-subnet-$REGION" || true; os network delete "$net" || true
done
"$RALLY_VENV/bin/python" e2e/rally/summarize.py "$OUT" CentralRegion "$DIRECT"

#!/usr/bin/env bash
# openstacksdk's own functional tests (they ship in the openstacksdk wheel under openstack/tests/functional)
# through the gateway: `tricircle sandbox` (debug build), the sandbox's clouds.yaml (clouds devstack,
# devstack-alt, devstack-admin, devstack-system-admin, all at CentralRegion), stestr with 2 workers.
# Modules: compute, network (networks, subnets, ports, routers, security groups, floating IPs, tags), block
# storage and image -- AREAS below. Fails when a test fails that e2e/sdk/KNOWN_FAILURES.md does not list
# (e2e/sdk/known_failures.py). See e2e/README.md.
# Env: SDK_VENV (default /tmp/tricircle-sdk: openstacksdk at the version upper-constraints pins, stestr),
#      SDK_RESULTS (default .ci-logs/sdk: one subunit stream per area, sandbox.log), SDK_CONCURRENCY (2),
#      SDK_RERUN_FAILED (1: what failed unlisted is run once more), SDK_CLOUDS (a clouds.yaml with those four clouds at a gateway already running, e.g. over the real regions:
#      no sandbox is started), SDK_KNOWN_FAILURES (default e2e/sdk/KNOWN_FAILURES.md), SDK_FILTER (a regex of test ids run in every area instead of AREAS' modules), OS_TEST_TIMEOUT (per test,
#      default 120), TRICIRCLE_BIN. Read a stream: $SDK_VENV/bin/subunit2pyunit < .ci-logs/sdk/network.subunit
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
# Not `swift build --show-bin-path`: with the OSC venv first on PATH (CI), `swift` is python-swiftclient's.
BIN=${TRICIRCLE_BIN:-$REPO/.build/debug/tricircle}
[ -x "$BIN" ] || { echo "no tricircle executable at $BIN: swift build first"; exit 1; }
VENV=${SDK_VENV:-/tmp/tricircle-sdk}
RESULTS=${SDK_RESULTS:-$REPO/.ci-logs/sdk}
KNOWN=${SDK_KNOWN_FAILURES:-$REPO/e2e/sdk/KNOWN_FAILURES.md}
CONSTRAINTS=$REPO/e2e/regions/upper-constraints-2026.1.txt
VERSION=$(sed -n 's/^openstacksdk===//p' "$CONSTRAINTS")
t0=$(date +%s)

# The venv is remade when the pinned openstacksdk version changes.
if [ "$("$VENV/bin/python" -c 'import openstack.version as v; print(v.__version__)' 2>/dev/null)" != "$VERSION" ] \
   || [ ! -x "$VENV/bin/stestr" ]; then
  rm -rf "$VENV" && python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -c "$CONSTRAINTS" \
    "openstacksdk==$VERSION" stestr testtools fixtures oslotest testscenarios python-subunit || exit 1
  echo "sdk venv: openstacksdk $VERSION in $(( $(date +%s) - t0 )) s"
fi
SITE=$("$VENV/bin/python" -c 'import openstack, os; print(os.path.dirname(os.path.dirname(openstack.__file__)))')

# The modules run, per area (stestr discovers one directory at a time: the wheel's functional/examples tests
# import a package the wheel lacks). Chosen: the resources the gateway serves at the top (e2e/README.md
# names the modules left out and why).
AREAS=(
  "compute/v2 test_(server|flavor|keypair|image|limits|quota_set|extension|hypervisor|service|volume_attachment)"
  "network/v2 test_(network|subnet|port|router|router_add_remove_interface|security_group|security_group_rule|floating_ip|extension|availability_zone|quota|subnet_pool|subnet_from_subnet_pool|address_scope)"
  "block_storage/v3 test_(volume|snapshot|type|availability_zone|limits|quota_set|backup|service|extension|attachment)"
  "image/v2 test_(image|schema|member)"
)

rm -rf "$RESULTS" && mkdir -p "$RESULTS"
if [ -n "${SDK_CLOUDS:-}" ]; then
  # Over a running gateway (e2e/regions: e2e/sdk/real_setup.py wrote these clouds): no sandbox of our own.
  CLOUDS=$SDK_CLOUDS
  [ -f "$CLOUDS" ] || { echo "SDK_CLOUDS=$CLOUDS: no such file"; exit 1; }
else
  WORK=$(mktemp -d /tmp/tricircle-sdk-sandbox.XXXXXX)
  "$BIN" sandbox --state-dir "$WORK" --keystone-port 27000 --admin-port 27999 > "$RESULTS/sandbox.log" 2>&1 &
  PID=$!
  cleanup() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
  trap cleanup EXIT
  for _ in $(seq 1 150); do
    [ -f "$WORK/openrc" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
  [ -f "$WORK/openrc" ] || { echo "sandbox did not start:"; tail -40 "$RESULTS/sandbox.log"; exit 1; }
  CLOUDS=$WORK/clouds.yaml
fi

export OS_CLIENT_CONFIG_FILE=$CLOUDS OS_CLOUD=devstack-admin
export OPENSTACKSDK_FLAVOR=${OPENSTACKSDK_FLAVOR:-m1.tiny} OPENSTACKSDK_IMAGE=${OPENSTACKSDK_IMAGE:-cirros-sandbox}
export OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-120} OPENSTACKSDK_FUNC_TEST_TIMEOUT=${OPENSTACKSDK_FUNC_TEST_TIMEOUT:-60}
t1=$(date +%s)
# image/v2/test_image uploads ./CONTRIBUTING.rst (a file of openstacksdk's source tree, not in the wheel).
head -c 20000 "$REPO/README.md" > "$RESULTS/CONTRIBUTING.rst"
# run_areas FILTER PREFIX: each area's modules (or FILTER in every area) into $RESULTS/PREFIX<area>.subunit
run_areas() {
  streams=()
  for area in "${AREAS[@]}"; do
    dir=${area%% *}; modules=${area#* }; name=${dir%%/*}
    filter="${1:-\.${dir%%/*}\.${dir##*/}\.$modules\.}"
    # --parallel-class: a class's tests share resource names (image/v2 TestImage's two tests each make 'Test Image'
    # and find it by name), so they run one after the other on one worker, as upstream's gate would need too.
    ( cd "$RESULTS" && "$VENV/bin/stestr" --test-path "$SITE/openstack/tests/functional/$dir" --top-dir "$SITE" --parallel-class \
        run --concurrency "${SDK_CONCURRENCY:-2}" --subunit "$filter" > "$RESULTS/$2$name.subunit" 2> "$RESULTS/$2$name.stderr" )
    streams+=("$RESULTS/$2$name.subunit")
  done
}
run_areas "${SDK_FILTER:-}" ""
elapsed=$(( $(date +%s) - t1 ))
UNLISTED_OUT="$RESULTS/unlisted.txt" "$VENV/bin/python" e2e/sdk/known_failures.py "$KNOWN" "${streams[@]}"
rc=$?
echo "openstacksdk $VERSION functional tests through the gateway: ${elapsed}s (sandbox start and install: $(( t1 - t0 ))s)"
# SDK_RERUN_FAILED=1 (over the real regions, where a loaded machine now and then makes Keystone or a region miss
# the gateway's timeout): the tests that failed unlisted run once more; the run passes if they all pass then, and
# their names are printed either way.
if [ $rc != 0 ] && [ -n "${SDK_RERUN_FAILED:-}" ] && [ -s "$RESULTS/unlisted.txt" ]; then
  echo "running once more what failed: $(paste -sd' ' "$RESULTS/unlisted.txt")"
  run_areas "($(sed 's/\./\\./g' "$RESULTS/unlisted.txt" | paste -sd'|'))" "rerun-"
  UNLISTED_OUT="$RESULTS/unlisted-rerun.txt" "$VENV/bin/python" e2e/sdk/known_failures.py "$KNOWN" "${streams[@]}"
  rc=$?
  [ $rc = 0 ] && echo "passed when run again (failed the first time): $(paste -sd' ' "$RESULTS/unlisted.txt")"
fi
[ $rc = 0 ] || [ -n "${SDK_CLOUDS:-}" ] || { echo "--- gateway/sandbox log (last 40 lines; all of it in $RESULTS/sandbox.log)"; tail -40 "$RESULTS/sandbox.log"; }
exit $rc

#!/bin/bash
# Tempest's API tests from tests.txt against one region of the real cloud (e2e/regions must be up):
#   run.sh [REGION]     CentralRegion (default) = every call through the gateway; RegionOne = straight to a
#                       real region (baseline: shows the list itself passes on real OpenStack)
# Writes $BASE/tempest-REGION.json (per-service counts, failures with reasons) and prints the counts;
# `summarize.py --write RESULTS.md` records them. Env: TEMPEST_TIMEOUT (seconds, default 1500),
# TEMPEST_CONCURRENCY (2), TEMPEST_TESTS (a list file to run instead of tests.txt). Exit status: 0 when Tempest ran (failing tests are results, not errors).
set -e
D="$(cd "$(dirname "$0")" && pwd)"; . $D/../regions/common.sh
export REGION=${1:-CentralRegion}
export WS=$BASE/tempest-ws-$REGION
# the top's images live in the home image service (RegionOne), so one image id is valid at both
# an external network for the floating IP tests and the region's own extension list
eval "$(python3 $D/network.py $REGION)"; export PUBLIC_NETWORK_ID NETWORK_EXTENSIONS
export IMAGE_ID=$(python3 $D/image.py RegionOne) FLAVOR_ID=e2e00000-0000-4000-8000-000000000001 FLAVOR_ALT_ID=e2e00000-0000-4000-8000-000000000002
# the workspace registry lives in BASE, not ~/.tempest: a BASE wiped and made again (CI on a reused
# machine) would otherwise meet its old entry and `tempest init` refuses a name that already exists
[ -d $WS ] || tempest init --workspace-path $BASE/tempest-workspaces.yaml --name "tempest-$REGION" $WS
python3 -c "import os,string,sys;print(string.Template(open(sys.argv[1]).read()).safe_substitute(os.environ))" \
  $D/tempest.conf.tmpl > $WS/etc/tempest.conf
grep -v '^#' ${TEMPEST_TESTS:-$D/tests.txt} | grep . > $WS/include-list.txt
# the web-download import test's image, served on port 80 (the only plain-HTTP port Glance's import filtering
# allows by default; no Internet here): http_image.py, stopped when this script ends
python3 $D/http_image.py 80 > $BASE/tempest-http-image.log 2>&1 & http_image_pid=$!
trap 'kill $http_image_pid 2>/dev/null || true' EXIT
cd $WS
t0=$(date +%s)
# The results are read from the live subunit stream (kept in $BASE), not `stestr last`: a run stopped by the
# timeout never reaches stestr's repository, and `stestr last` would then report an older run.
rc_file=$(mktemp)
{ timeout ${TEMPEST_TIMEOUT:-1500} tempest run --subunit --concurrency ${TEMPEST_CONCURRENCY:-2} \
    --include-list $WS/include-list.txt 2> $BASE/tempest-$REGION.stderr; echo $? > $rc_file; } \
  | tee $BASE/tempest-$REGION.subunit | python3 $D/summarize.py --trace > $BASE/tempest-$REGION.log 2>&1 || true
rc=$(cat $rc_file); rm -f $rc_file
timed_out=""; [ "$rc" = 124 ] && timed_out=yes && echo "tempest: stopped by TEMPEST_TIMEOUT (${TEMPEST_TIMEOUT:-1500}s)"
echo "tempest against $REGION took $(( $(date +%s) - t0 ))s (log: $BASE/tempest-$REGION.log)"
tail -1 $BASE/tempest-$REGION.log
python3 $D/summarize.py $REGION $BASE/tempest-$REGION.subunit $WS/include-list.txt $(( $(date +%s) - t0 )) "$timed_out" > $BASE/tempest-$REGION.json
python3 $D/summarize.py --print $BASE/tempest-$REGION.json

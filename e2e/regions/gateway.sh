#!/bin/bash
# The Tricircle gateway over the real regions: registers it in the shared Keystone (region CentralRegion,
# service user "tricircle" with admin, the front-ends as CentralRegion's compute/volumev3/image/network
# endpoints), starts `tricircle serve` and registers the pods (CentralRegion top, RegionOne=az1, RegionTwo=az2)
# through the admin API.
# usage: gateway.sh start|stop|status      env: TRICIRCLE_BIN (default .build/debug/tricircle of this checkout),
#        GW_ADMIN_PORT (35989; compute -1, volume -2, network -3, image -4, database -5), GW_DB=sqlite|postgres,
#        GW_KEEP_STATE=1 (keep the gateway database of the last start)
set -e
. "$(dirname "$0")/common.sh"
REPO=$(cd "$RECIPE/../.." && pwd)
BIN=${TRICIRCLE_BIN:-$REPO/.build/debug/tricircle}
AP=${GW_ADMIN_PORT:-35989}
GW=$BASE/gateway; mkdir -p $GW
export TRICIRCLE_ADMIN_URL=http://$HOST:$AP
case "$1" in
start)
  [ -x "$BIN" ] || { echo "no tricircle binary at $BIN (swift build first)" >&2; exit 1; }
  python3 $RECIPE/ks_gateway.py CentralRegion http://$HOST:$AP/v1.0 \
    identity=http://$HOST:5000/v3 compute=http://$HOST:$((AP-1))/v2.1 volumev3="http://$HOST:$((AP-2))/v3/%(project_id)s" \
    block-storage="http://$HOST:$((AP-2))/v3/%(project_id)s" network=http://$HOST:$((AP-3)) image=http://$HOST:$((AP-4))
  # a fresh gateway database each start (GW_KEEP_STATE=1 keeps it): a database made by an older build can
  # record schema versions whose tables it never got
  db="sqlite://$GW/tricircle.sqlite"
  [ -n "${GW_KEEP_STATE:-}" ] || rm -f $GW/tricircle.sqlite $GW/tricircle.sqlite-wal $GW/tricircle.sqlite-shm
  if [ "${GW_DB:-sqlite}" = postgres ]; then
    [ -n "${GW_KEEP_STATE:-}" ] || /usr/lib/postgresql/15/bin/dropdb -h 127.0.0.1 -p 15432 -U postgres --if-exists tricircle
    pg_db tricircle; db="postgresql://postgres@127.0.0.1:15432/tricircle"
  fi
  export TRICIRCLE_DEFAULT__STATE_PATH=$GW TRICIRCLE_DEFAULT__BIND_HOST=$HOST TRICIRCLE_DEFAULT__PUBLIC_HOST=$HOST \
    TRICIRCLE_DATABASE__CONNECTION=$db \
    TRICIRCLE_GATEWAY__ADMIN_PORT=$AP TRICIRCLE_GATEWAY__COMPUTE_PORT=$((AP-1)) TRICIRCLE_GATEWAY__VOLUME_PORT=$((AP-2)) \
    TRICIRCLE_GATEWAY__NETWORK_PORT=$((AP-3)) TRICIRCLE_GATEWAY__IMAGE_PORT=$((AP-4)) TRICIRCLE_GATEWAY__DATABASE_PORT=$((AP-5)) \
    TRICIRCLE_KEYSTONE_AUTHTOKEN__AUTH_URL=http://$HOST:5000/v3 TRICIRCLE_KEYSTONE_AUTHTOKEN__USERNAME=tricircle \
    TRICIRCLE_KEYSTONE_AUTHTOKEN__PASSWORD=$SERVICE_PASS TRICIRCLE_KEYSTONE_AUTHTOKEN__PROJECT_NAME=service \
    TRICIRCLE_CLIENT__TOP_REGION_NAME=CentralRegion TRICIRCLE_IMAGE__HOME_REGION=RegionOne
  start_bg tricircle $BIN serve
  wait_http http://$HOST:$AP/ 60 tricircle
  pods=$($BIN pod list -f json)
  add() { echo "$pods" | grep -q "\"$1\"" || $BIN pod add --region-name "$@" >/dev/null; }
  add CentralRegion
  # real regions keep Nova's and Cinder's default AZ "nova": the top AZ az1/az2 maps onto it
  add RegionOne --az-name az1 --pod-az-name nova
  add RegionTwo --az-name az2 --pod-az-name nova
  $BIN pod list
  ;;
stop) stop_pid tricircle ;;
status) $BIN pod list ;;
esac

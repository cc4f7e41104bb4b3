#!/bin/bash
# Trove per region, API only: trove-api 25.1.0 (gunicorn), its database in SQLite, one
# datastore (mysql 8.0.21, named as the simulator names it; image: a 1 KiB raw image in that region's Glance), catalog type `database`.
# No taskmanager, conductor or guest agent: what is checked is what trove-api itself answers (version
# document, datastores, flavors, limits, errors, quota 413, instance create/list/show/delete records).
# An instance therefore stays BUILD (the create is cast to a taskmanager nobody runs) and a delete
# leaves it SHUTDOWN-ing; trove-api still answers for it as it would.
# SQLite, not the regions' PostgreSQL: trove 25.1.0's migrations give PostgreSQL a MySQL-only type
# (`type modifier is not allowed for type "text"`, Text(length) in the init migration).
# RegionOne :8779, RegionTwo :8879
# usage: trove.sh REGION setup|start|stop
set -e
. "$(dirname "$0")/common.sh"
REG=$1; OFF=$(region_off $REG); PORT=$((8779+OFF)); T=$ETC/$REG/trove; D=$DATA/$REG/trove
case "$2" in
setup)
  mkdir -p $T $D
  # the healthcheck app's disable file would be /etc/trove/...: point it into this region's folder
  sed "s|/etc/trove/healthcheck_disable|$D/healthcheck_disable|" $VENV/etc/trove/api-paste.ini > $T/api-paste.ini
  { cat <<CONF
[DEFAULT]
transport_url = $(rabbit_url $REG)
control_exchange = trove
api_paste_config = $T/api-paste.ini
use_stderr = true
trove_api_workers = 1
default_datastore = mysql
trove_volume_support = true
# the catalog's endpoints are public ones
nova_compute_endpoint_type = publicURL
cinder_endpoint_type = publicURL
neutron_endpoint_type = publicURL
glance_endpoint_type = publicURL
[database]
connection = sqlite:///$D/trove.sqlite
[oslo_concurrency]
lock_path = $D/locks
[oslo_policy]
enforce_scope = false
enforce_new_defaults = false
CONF
    authtoken_conf trove $REG
    svc_auth_section service_credentials trove $REG
  } > $T/trove.conf
  [ -n "$SKIP_KS_REGISTER" ] || python3 $RECIPE/ks_register.py $REG \
    "trove:database:http://$HOST:$PORT/v1.0/\$(project_id)s" >> $LOGS/trove-$REG-setup.log
  # what trove-manage db_sync, datastore_update, datastore_version_update and db_load_datastore_config_parameters
  # do, in one process (each trove-manage run spends ~5 s importing trove); the version's image is any image in
  # this region's Glance: no guest boots from it here
  NO_EVENTLET_MONKEYPATCH=1 OS_REGION_NAME=$REG python3 - $T/trove.conf >> $LOGS/trove-$REG-setup.log 2>&1 <<'PY'
import os, sys
import openstack
c = openstack.connect(load_yaml_config=False)
img = c.image.find_image("trove-guest-mysql") or c.image.create_image(
    name="trove-guest-mysql", disk_format="raw", container_format="bare", visibility="public", data=b"\0" * 1024)
from trove.common import cfg
from trove.cmd.manage import Commands
cfg.parse_args(["trove-manage", "--config-file", sys.argv[1]])
import trove
m = Commands()
m.db_sync()
m.datastore_update("mysql", "")
m.datastore_version_update("mysql", "8.0.21", "mysql", img.id, "", 1, None, None)
m.datastore_update("mysql", "8.0.21")
# SQLite holds 64-bit integers: the one rule above that (bulk_insert_buffer_size's max 2^64-1) is clamped
import json
rules = json.load(open(os.path.join(os.path.dirname(trove.__file__), "templates/mysql/validation-rules.json")))
for rule in rules["configuration-parameters"]:
    for k in ("min", "max"):
        if isinstance(rule.get(k), int):
            rule[k] = max(min(rule[k], 2**63 - 1), -2**63)
json.dump(rules, open(sys.argv[1] + ".rules.json", "w"))
m.db_load_datastore_config_parameters("mysql", "8.0.21", sys.argv[1] + ".rules.json")
PY
  ;;
start)
  # trove.cmd monkey-patches with eventlet on import, which hangs a gunicorn thread worker
  NO_EVENTLET_MONKEYPATCH=1 WSGI_ARGV="--config-file $T/trove.conf" gunicorn_bg trove-api-$REG $PORT trove.cmd.app_wsgi:application
  wait_http http://$HOST:$PORT/ 120 trove-api-$REG ;;
stop) stop_pid trove-api-$REG ;;
esac

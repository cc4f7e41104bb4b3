#!/usr/bin/env bash
# Installs Horizon (2026.1: horizon 25.7.3 and Django pinned by e2e/regions/upper-constraints-2026.1.txt) in its
# own venv and serves it on loopback with Django's server: local-memory cache and sessions, no Apache, no
# memcached. Used by e2e/horizon/run.sh (CI, over the sandbox); by hand against the real regions:
#   HORIZON_TARGET=real bash e2e/horizon/horizon.sh start     # Keystone on :5000 (e2e/regions up already)
#   bash e2e/horizon/horizon.sh install|start|stop|status
# Env: HORIZON_VENV (/tmp/tricircle-horizon), HORIZON_PORT (28080), HORIZON_KEYSTONE_URL (default by
# HORIZON_TARGET: sandbox http://127.0.0.1:15000/v3 (tricircle sandbox's default), real http://127.0.0.1:5000/v3), HORIZON_REGION
# (CentralRegion), HORIZON_DIR (/tmp/tricircle-horizon-run: pid, server log, Horizon's API log).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${HORIZON_VENV:-/tmp/tricircle-horizon}
PORT=${HORIZON_PORT:-28080}
DIR=${HORIZON_DIR:-/tmp/tricircle-horizon-run}
case ${HORIZON_TARGET:-sandbox} in
  real) default_ks=http://127.0.0.1:5000/v3 ;;
  *) default_ks=http://127.0.0.1:15000/v3 ;;
esac
export HORIZON_KEYSTONE_URL=${HORIZON_KEYSTONE_URL:-$default_ks}
export HORIZON_REGION=${HORIZON_REGION:-CentralRegion}
export HORIZON_LOG=$DIR/horizon-api.log
CONSTRAINTS=$HERE/../regions/upper-constraints-2026.1.txt
mkdir -p "$DIR"

install() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import openstack_dashboard, selenium" 2>/dev/null \
     && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("horizon"))')" = 25.7.3 ]; then
    echo "horizon venv ready: $VENV"
  else
    rm -rf "$VENV"
    if command -v uv >/dev/null 2>&1; then
      uv venv -q -p python3 "$VENV" && VIRTUAL_ENV=$VENV uv pip install -q -c "$CONSTRAINTS" horizon==25.7.3 selenium
    else
      python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -c "$CONSTRAINTS" horizon==25.7.3 selenium
    fi
  fi
  local dash; dash=$("$VENV/bin/python" -c 'import os, openstack_dashboard as d; print(os.path.dirname(d.__file__))')
  cp "$HERE/local_settings.py" "$dash/local/local_settings.py"
}

manage() { "$VENV/bin/python" -m django "$@" --settings openstack_dashboard.settings; }

start() {
  install
  stop >/dev/null 2>&1 || true
  : > "$HORIZON_LOG"
  # --noreload: one process (the local-memory sessions live in it); --insecure: static files with DEBUG off too.
  nohup "$VENV/bin/python" -m django runserver --noreload --insecure --settings openstack_dashboard.settings \
    "127.0.0.1:$PORT" > "$DIR/server.log" 2>&1 &
  echo $! > "$DIR/pid"
  for _ in $(seq 1 150); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/auth/login/" && break
    kill -0 "$(cat "$DIR/pid")" 2>/dev/null || { cat "$DIR/server.log"; echo "horizon exited early"; return 1; }
    sleep 0.2
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/auth/login/")
  [ "$code" = 200 ] || { cat "$DIR/server.log"; echo "horizon login page answered $code"; return 1; }
  echo "horizon: http://127.0.0.1:$PORT/ (Keystone $HORIZON_KEYSTONE_URL, region $HORIZON_REGION; API log $HORIZON_LOG)"
}

stop() {
  [ -f "$DIR/pid" ] || return 0
  local pid; pid=$(cat "$DIR/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  rm -f "$DIR/pid"
}

case ${1:-start} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null && echo running || echo stopped ;;
  *) echo "usage: $0 install|start|stop|status"; exit 2 ;;
esac

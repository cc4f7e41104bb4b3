#!/usr/bin/env bash
# Chaos run: kill -9 the gateway (and with it its job workers) at random points during 200 boots, volume
# creates and deletes over simulated regions, restart it each time, then check with `tricircle audit`.
# Loopback only; a few minutes. Not a test: the figures go to BENCHMARKS.md ("Chaos").
#   bash scripts/chaos.sh                      # debug build
#   CONFIG=release bash scripts/chaos.sh --operations 400 --min-kills 40 --seed 42
#   TRICIRCLE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start) bash scripts/chaos.sh --split
#                                              # API and job worker as two processes on PostgreSQL, either killed
set -euo pipefail
cd "$(dirname "$0")/.."
config="${CONFIG:-debug}"
build() {
    local out
    if ! out="$(swift build -c "$config" --product "$1" 2>&1)"; then
        echo "$out" | grep -E "error" | head -20 >&2
        echo "chaos: building $1 failed" >&2
        exit 1
    fi
}
build tricircle
build tricircle-bench
bin="$(swift build -c "$config" --show-bin-path)"
exec "$bin/tricircle-bench" chaos --tricircle "$bin/tricircle" "$@"

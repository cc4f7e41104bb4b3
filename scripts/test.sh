#!/usr/bin/env bash
# The test command: unit, store (SQLite and PostgreSQL), simulator and gateway tests.
# Starts a private PostgreSQL (scripts/postgres.sh) unless TRICIRCLE_TEST_POSTGRES_URL is already set,
# or SKIP_POSTGRES=1 asks for SQLite only. Extra arguments go to `swift test` (e.g. --filter Routing).
set -euo pipefail
cd "$(dirname "$0")/.."
started_pg=""
if [ -z "${TRICIRCLE_TEST_POSTGRES_URL:-}" ] && [ -z "${SKIP_POSTGRES:-}" ]; then
  TRICIRCLE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start)
  export TRICIRCLE_TEST_POSTGRES_URL
  started_pg=1
fi
cleanup() { [ -n "$started_pg" ] && [ -n "${STOP_POSTGRES:-}" ] && bash scripts/postgres.sh stop; true; }
trap cleanup EXIT
# Swift Testing starts every test at once; with ~80 suites that each run a whole gateway over simulated
# regions, 2 cores starved some requests past their 60 s deadline. Six at a time passes in ~100 s.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-6}
echo "store tests on: sqlite${TRICIRCLE_TEST_POSTGRES_URL:+ and $TRICIRCLE_TEST_POSTGRES_URL}"
swift test "$@"

#!/usr/bin/env bash
# Fuzz run over `tricircle sandbox` (debug build): schemathesis against the admin API's OpenAPI document
# (GET /v1.0/openapi.json, admin token) and a hypothesis body fuzzer against the Compute, Volume, Image and
# Networking front-ends (demo token). Fails on any 5xx, hang or crash; failing examples are saved to
# $FUZZ_LOG_DIR/findings.jsonl. See e2e/fuzz/README.md.
# Env: FUZZ_SECONDS (both fuzzers together, default 150), FUZZ_SEED (default random, printed), FUZZ_TIMEOUT
# (seconds an answer may take, default 10), FUZZ_FORMAT_CHECKS=0 (count only 5xx, hangs and crashes, not errors
# outside the API's format), FUZZ_LOG_DIR (default .ci-logs/fuzz), FUZZ_VENV, TRICIRCLE_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TRICIRCLE_BIN:-$(swift build --show-bin-path)/tricircle}
[ -x "$BIN" ] || { echo "no tricircle executable at $BIN: swift build first"; exit 1; }
VENV=${FUZZ_VENV:-/tmp/tricircle-fuzz-venv}
LOG_DIR=${FUZZ_LOG_DIR:-$PWD/.ci-logs/fuzz}
REQS=e2e/fuzz/requirements.txt
# Reinstall when the pins change (the venv remembers which requirements it was made from).
if ! cmp -s "$REQS" "$VENV/.fuzz-requirements" 2>/dev/null; then
  t=$(date +%s)
  rm -rf "$VENV" && python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS"
  cp "$REQS" "$VENV/.fuzz-requirements"
  echo "fuzz venv: $("$VENV/bin/pip" list 2>/dev/null | grep -iE '^(schemathesis|hypothesis) ' | tr -s ' ' | tr '\n' ' ')in $(( $(date +%s) - t )) s"
fi
rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"
extra=(); [ "${FUZZ_FORMAT_CHECKS:-1}" = 0 ] && extra+=(--no-format-checks)
exec "$VENV/bin/python" e2e/fuzz/fuzz.py --bin "$BIN" --log-dir "$LOG_DIR" "${extra[@]}" "$@"

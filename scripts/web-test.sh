#!/usr/bin/env bash
# Tests of the web app. The canvas model's unit tests always (Node, no packages). With
# `--browser`, also the browser tests (Tests/web/browser_test.py) in Debian's chromium through
# playwright, against the real gateway: FLOWGATE_BIN (default .build/debug/flowgate, which must
# be built), FLOWGATE_TEST_VICTORIA_URL and FLOWGATE_TEST_PROMETHEUS_URL (the timeseries stores
# the canonical pipeline writes to, when set) are passed through. `--bench` runs the 500-node
# canvas benchmark against the real gateway instead of the browser tests.
# Installs chromium only when it is missing and keeps .venv-web in step with
# Tests/web/requirements.txt. Exits non-zero on any failure; prints the test counts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

mode="${1:-}"
case "$mode" in
  ""|--browser|--bench) ;;
  *) echo "usage: $0 [--browser|--bench]" >&2; exit 2 ;;
esac

OUT=$(mktemp -d /tmp/flowgate-web-test.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# The Python environment of the browser tests in .venv-web, recreated when
# Tests/web/requirements.txt changes (its sha256 is stamped in the environment).
web_venv_ensure() {
  local venv="$ROOT/.venv-web" req="$ROOT/Tests/web/requirements.txt"
  local stamp="$venv/.requirements.sha256" want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating the web tests' Python environment (.venv-web)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q -r "$req"
  echo "$want" > "$stamp"
}

log "web model tests (node --test Tests/web/)"
node --test Tests/web/ 2>&1 | tee "$OUT/node.log"
model_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$OUT/node.log")
model_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$OUT/node.log")

[ -z "$mode" ] && { echo "web model tests: ${model_pass:-0} passed, ${model_fail:-0} failed"; exit 0; }

apt_ensure chromium
web_venv_ensure
export FLOWGATE_BIN="${FLOWGATE_BIN:-$ROOT/.build/debug/flowgate}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$FLOWGATE_BIN" ] || { echo "no flowgate binary at $FLOWGATE_BIN: run swift build, or set FLOWGATE_BIN" >&2; exit 1; }
# Passed through as they are (unset: the pipeline's sink writes to a loopback webhook instead).
export FLOWGATE_TEST_VICTORIA_URL="${FLOWGATE_TEST_VICTORIA_URL:-}"
export FLOWGATE_TEST_PROMETHEUS_URL="${FLOWGATE_TEST_PROMETHEUS_URL:-}"

if [ "$mode" = "--bench" ]; then
  log "canvas benchmark (500 nodes) against $FLOWGATE_BIN"
  .venv-web/bin/python Tests/web/bench_canvas.py
  exit 0
fi

log "browser tests against $FLOWGATE_BIN (sinks: victoria=${FLOWGATE_TEST_VICTORIA_URL:-none} prometheus=${FLOWGATE_TEST_PROMETHEUS_URL:-none})"
started=$(date +%s)
status=0
.venv-web/bin/python Tests/web/browser_test.py 2>&1 | tee "$OUT/browser.log" || status=$?
elapsed=$(( $(date +%s) - started ))
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$OUT/browser.log")
problems=$(grep -cE '^(FAIL|ERROR): ' "$OUT/browser.log" || true)
echo "web model tests: ${model_pass:-0} passed, ${model_fail:-0} failed"
passed=$(( ${ran:-0} - problems )); [ "$passed" -lt 0 ] && passed=0
echo "web browser tests: ${ran:-0} run, $passed passed, $problems failed or errored, in ${elapsed} s"
exit "$status"

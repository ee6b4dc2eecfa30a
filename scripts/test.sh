#!/usr/bin/env bash
# `make test`: installs and starts what the tests need (Debian packages, the Python peers,
# PostgreSQL), runs the Swift test suites against SQLite and PostgreSQL, then schemathesis
# against the live server. Every service listens on loopback and is stopped on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT
cd "$ROOT"

# libjq-dev, libonig-dev and libsqlite3-dev back the jq and sql nodes (CJQ, CSQLite); Prometheus
# and VictoriaMetrics receive the timeseries sinks' writes; libxmlsec1-dev backs SAML (CXMLSec) and
# the xmlsec1 binary signs for the pysaml2 identity provider; chromium runs the web editor's
# browser tests.
apt_ensure postgresql curl ca-certificates libjq-dev libonig-dev libsqlite3-dev prometheus victoria-metrics \
  pkg-config libxmlsec1-dev xmlsec1 chromium
venv_ensure
start_postgres
start_openbao
start_prometheus
start_victoriametrics

log "building (debug, with tests)"
swift build --build-tests

log "Swift test suites (SQLite and PostgreSQL)"
FLOWGATE_REQUIRE_POSTGRES=1 FLOWGATE_REQUIRE_PEERS=1 FLOWGATE_PYTHON="$VENV/bin/python" \
  FLOWGATE_BIN="$ROOT/.build/debug/flowgate" swift test --skip-build

log "schemathesis against the live server and /openapi.json"
"$ROOT/scripts/schemathesis.sh"

log "web app: model tests (Node) and browser tests against the real gateway"
FLOWGATE_BIN="$ROOT/.build/debug/flowgate" "$ROOT/scripts/web-test.sh" --browser

log "all tests passed"

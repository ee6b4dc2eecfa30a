#!/usr/bin/env bash
# Runs schemathesis (all checks except positive_data_acceptance, whose premise - every
# schema-valid request is accepted - cannot hold for graph rules like "no cycles") against a
# live server on the embedded SQLite. Fails on any 5xx or any response that violates the
# document.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT
cd "$ROOT"

data=$(mktemp -d /tmp/flowgate-st.XXXXXX)
CLEANUP_DIRS+=("$data")
port=$(free_port)
token="fgp_$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
FLOWGATE_BOOTSTRAP_TOKEN="$token" "$ROOT/.build/debug/flowgate" serve --host 127.0.0.1 --port "$port" \
  --tenant-requests-per-second 100000 --principal-requests-per-second 100000 \
  --data-dir "$data" > "$data/server.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/readyz"
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/tenants" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"slug":"acme","name":"Acme"}'
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/tenants" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"slug":"sandbox","name":"Quota sandbox"}'
export FLOWGATE_ADMIN_TOKEN="$token"
FLOWGATE_SCIM_TOKEN=$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/tenants/acme/scim-tokens" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"schemathesis"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export FLOWGATE_SCIM_TOKEN

cd "$data"
set +e
"$VENV/bin/schemathesis" --config-file "$ROOT/Tests/peers/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" --seed "${SCHEMATHESIS_SEED:-20261127}" --no-color \
  --output-sanitize true > "$data/schemathesis.out" 2>&1
status=$?
set -e
grep -A14 "^___\|^[0-9]*\. Test Case" "$data/schemathesis.out" | head -150 || true
tail -25 "$data/schemathesis.out"
if grep -q '"level":"error"\|"level":"critical"' "$data/server.log"; then
  echo "the server logged errors:" >&2
  grep '"level":"error"\|"level":"critical"' "$data/server.log" | head -5 >&2
  status=1
fi
exit $status

#!/usr/bin/env bash
# API fuzzing: schemathesis against /api/openapi.json of the built server on loopback (a fresh
# embedded database with the demo project). Fails on any 5xx, undocumented status, wrong content
# type, a response that breaks the document, a wrong answer to an undeclared method, or an error
# in the server log. Usage: scripts/api-fuzz.sh [max seconds, default 150]
set -euo pipefail
cd "$(dirname "$0")/.."
ST=${SCHEMATHESIS:-schemathesis}
command -v "$ST" >/dev/null || { echo "schemathesis not found (pip install schemathesis)"; exit 2; }
MAX_TIME=${1:-150}
DATA=$(mktemp -d /tmp/scanhub-fuzz.XXXXXX)
PORT=${SCANHUB_FUZZ_PORT:-18431}
TOKEN="shk_api-fuzz-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
SCANHUB_DATA_DIR="$DATA/data" SCANHUB_ADMIN_TOKEN="$TOKEN" PORT=$PORT LOG_LEVEL=warn SCANHUB_API_RATE_LIMIT=0 \
  SCANHUB_KEV_URL=http://127.0.0.1:9/kev.json SCANHUB_EPSS_URL=http://127.0.0.1:9/epss.csv.gz SCANHUB_OSV_URL=http://127.0.0.1:9/osv.json \
  node dist/src/cli/bin.js serve >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$DATA/server.log"; exit 1; }
# One worker: CPython 3.11 before 3.11.8 can crash Hypothesis's AST introspection under threads.
status=0
(cd "$DATA" && "$ST" run "http://127.0.0.1:$PORT/api/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method \
  --workers 1 --max-examples 30 --seed 20261129 --max-time "$MAX_TIME" --request-timeout 20 \
  --generation-allow-x00 true) || status=$?
if grep -q '"level":50' "$DATA/server.log"; then
  echo "the server logged errors during fuzzing:"; grep '"level":50' "$DATA/server.log" | cut -c1-400 | head -20
  status=1
fi
exit $status

#!/usr/bin/env bash
# API fuzzing: schemathesis sends thousands of generated requests to the real binary, built
# from our OpenAPI document, and fails on any server error or any response that does not match
# the document. Usage: scripts/fuzz.sh [EXAMPLES_PER_OPERATION]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-300}
binary=${DAUYS_BINARY:-$PWD/.build/debug/dauys}

work=$(mktemp -d /tmp/dauys-fuzz.XXXXXX)
server_pid=
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

export DAUYS_DATA_DIR="$work/data" DAUYS_RATE_LIMITS=off LOG_LEVEL=warning
export DAUYS_TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png"
unset DATABASE_URL
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

# A moderator token, so the admin API is fuzzed behind its authentication too.
"$binary" admin create --email fuzz@example.org --role admin >/dev/null
token=$("$binary" admin token --email fuzz@example.org | sed -n 's/.*: \(dauys_[A-Za-z0-9_-]*\)$/\1/p')
"$binary" demo-data --count 50 --published --force >/dev/null

"$binary" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

st run "http://127.0.0.1:$port/api/v1/openapi.json" --url "http://127.0.0.1:$port/api/v1" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$examples" --seed 20261123 -H "Authorization: Bearer $token" --no-color

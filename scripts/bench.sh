#!/usr/bin/env bash
# The benchmark of issue #14 — not part of the test suite. A release build on a fresh data
# folder, N published synthetic incidents (default 1,000,000), then wrk on loopback, side by
# side in one run. Prints a Markdown table; record runs in docs/performance.md.
#   scripts/bench.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
duration=${BENCH_SECONDS:-10}

scripts/install-dependencies.sh --bench
swift build -c release --product dauys
bin="$PWD/.build/release/dauys"

work=$(mktemp -d /tmp/dauys-bench.XXXXXX)
server=
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export DAUYS_DATA_DIR="$work" DAUYS_RATE_LIMITS=off LOG_LEVEL=info DATABASE_URL=
# The server runs as in production (templates cached, a chosen secret), with abuse limits off.
DAUYS_SECRET=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
export DAUYS_SECRET

echo "== demo-data --count $count --published"
start=$(date +%s.%N)
"$bin" demo-data --count "$count" --published >/dev/null
demo_seconds=$(echo "$(date +%s.%N) - $start" | bc)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$bin" serve --env production --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# wrk's summary → "requests/s | p99 | answers other than 2xx/3xx"
measure() {
    local connections=$1; shift
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" 2>/dev/null | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses/ { bad = $NF }
        END { printf "%s | %s | %d", rps, p99, bad }'
}

cat >"$work/report.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"role":"victim","date":"2025-03-08","timeBand":"evening","latitude":43.2389,"longitude":76.8897,' ..
  '"city":"almaty","placeType":"street","kinds":["verbal"],"perpetrator":"stranger","perpetratorCount":"one",' ..
  '"prevented":false,"description":"A man followed me from the bus stop shouting insults at me.",' ..
  '"publishConsent":true,"language":"en"}'
LUA

almaty="76.80,43.15,77.05,43.35"
country="46.4,40.5,87.4,55.5"
# One request per view before measuring: the first after a start or a change counts the
# published set (seconds at a million); the table shows the views as visitors meet them.
for path in "/api/v1/incidents/clusters?zoom=12&bbox=$almaty" "/api/v1/incidents/clusters?zoom=5&bbox=$country" \
    "/api/v1/stats?city=almaty" "/api/v1/stats" "/"; do
    curl -fsS -o /dev/null "$base$path"
done
echo
echo "| view | requests/s | p99 | not 2xx/3xx |"
echo "|---|---|---|---|"
echo "| \`/healthz\` (ceiling) | $(measure 32 "$base/healthz") |"
echo "| clusters, Almaty at zoom 12 | $(measure 32 "$base/api/v1/incidents/clusters?zoom=12&bbox=$almaty") |"
echo "| clusters, the country at zoom 5 | $(measure 32 "$base/api/v1/incidents/clusters?zoom=5&bbox=$country") |"
echo "| statistics, Almaty | $(measure 32 "$base/api/v1/stats?city=almaty") |"
echo "| statistics, the country | $(measure 32 "$base/api/v1/stats") |"
echo "| \`GET /incidents\`, small bbox | $(measure 32 "$base/api/v1/incidents?perPage=100&bbox=76.90,43.23,76.95,43.26") |"
echo "| \`GET /incidents\`, the country's box | $(measure 32 "$base/api/v1/incidents?perPage=100&bbox=$country") |"
echo "| home page \`/\` | $(measure 32 "$base/") |"
echo "| \`POST /reports\` (64 connections) | $(measure 64 -s "$work/report.lua" "$base/api/v1/reports") |"

flushes=$(python3 - "$work" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "flush-test")
fd = os.open(path, os.O_WRONLY | os.O_CREAT)
n, end = 0, time.time() + 3
while time.time() < end:
    os.write(fd, b"x"); os.fsync(fd); n += 1
os.close(fd); os.remove(path)
print(round(n / 3))
PY
)
echo
echo "- disk flushes/s (fsync, same run): $flushes"
echo "- demo-data: ${demo_seconds%.*} s for $count incidents"
country_bytes=$(curl -s "$base/api/v1/incidents/clusters?zoom=5&bbox=$country" | wc -c)
country_gzip=$(curl -s -H 'Accept-Encoding: gzip' "$base/api/v1/incidents/clusters?zoom=5&bbox=$country" | wc -c)
echo "- the country's map view: $country_bytes bytes ($country_gzip compressed)"
before=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
start=$(date +%s.%N)
csv_bytes=$(curl -s "$base/api/v1/export/incidents.csv" | wc -c)
csv_seconds=$(echo "$(date +%s.%N) - $start" | bc)
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
echo "- CSV export: $csv_bytes bytes in ${csv_seconds} s; peak memory $(( peak / 1024 )) MB, $(( (peak - before) / 1024 )) MB above the resident size before"
echo "- 5xx answers logged (requests not counted per route): $(grep -c 'status=5[0-9][0-9]' "$work/server.log" || true)"

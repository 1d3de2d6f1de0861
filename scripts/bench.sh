#!/usr/bin/env bash
# The benchmark of issues #14 and #22 — not part of the test suite. A release build on a fresh
# data folder, N published synthetic incidents (default 1,000,000) and a few hundred pending
# ones, then wrk (2 threads, 64 connections) on loopback, in one run:
#   1. the quiet views (nobody changes anything while they are measured);
#   2. the home page with an unknown parameter, fixed and changing per request;
#   3. five filtered statistics and cluster views (country at zoom 5, a city at zoom 12), a
#      filtered statistics page and density layer, each also timed cold: the first request
#      after a publication;
#   4. the mixed case: the home page, clusters and statistics while a moderator publishes
#      2 and then 10 reports a second through the admin API (scripts/bench-mixed.py);
#   5. the staleness probe: publish one report, read every public view at once, compare with
#      the database; on this server and, when it starts, a second one on the same data folder.
# Prints Markdown tables; record runs in docs/performance.md.
#   scripts/bench.sh [COUNT]
#   BENCH_SECONDS (default 10) per measurement, BENCH_PROBE_TRIALS (default 12),
#   BENCH_NO_BUILD=1 uses the release binary already built; BENCH_TEMPLATE=DIR starts from a
#   copy of a data folder already filled by demo-data (with its time in DIR/demo-seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
duration=${BENCH_SECONDS:-10}
trials=${BENCH_PROBE_TRIALS:-12}
connections=64
helper="$PWD/scripts/bench-mixed.py"

# Tools and the build talk on stderr: stdout is the Markdown.
scripts/install-dependencies.sh --bench >&2
if [[ "${BENCH_NO_BUILD:-}" != 1 ]]; then
    swift build -c release --product dauys --scratch-path .build-release >&2
fi
bin="$PWD/.build-release/release/dauys"

work=$(mktemp -d /tmp/dauys-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export DAUYS_DATA_DIR="$work" DAUYS_RATE_LIMITS=off LOG_LEVEL=info DATABASE_URL=
# The server runs as in production (templates cached, a chosen secret), with abuse limits off.
DAUYS_SECRET=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
export DAUYS_SECRET
say() { echo "== $*" >&2; }

if [[ -n "${BENCH_TEMPLATE:-}" ]]; then
    # A data folder made earlier by `demo-data --count N --published` (its time in
    # BENCH_TEMPLATE/demo-seconds): copied, so each run starts from the same million.
    say "copying $BENCH_TEMPLATE"
    cp -a "$BENCH_TEMPLATE"/. "$work"/
    demo_seconds=$(cat "$BENCH_TEMPLATE/demo-seconds" 2>/dev/null || echo 0)
else
    say "demo-data --count $count --published"
    start=$(date +%s.%N)
    "$bin" demo-data --count "$count" --published >/dev/null
    demo_seconds=$(echo "$(date +%s.%N) - $start" | bc)
fi
# Reports waiting for a moderator: what the mixed case, the cold timings and the probe publish.
pending=$((12 * 6 * duration * 13 / 10 + 40 + 3 * trials))
say "demo-data --count $pending (pending)"
"$bin" demo-data --count "$pending" >/dev/null
# A moderator with an API token, as the operator issues one (`dauys admin`, README).
"$bin" admin create --email bench@example.invalid --role moderator >/dev/null 2>&1
token=$("$bin" admin token --email bench@example.invalid --name bench 2>/dev/null | sed -n 's/.*(shown once): //p')
[[ -n "$token" ]] || { echo "dauys admin token gave no token" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
start_server() { # port log → pid in $server
    "$bin" serve --env production --hostname 127.0.0.1 --port "$1" >"$2" 2>&1 &
    server=$!
    pids+=("$server")
    for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}
port=$(free_port)
start_server "$port" "$work/server.log" || { echo "the server did not start" >&2; exit 1; }
main_server=$server
base="http://127.0.0.1:$port"
state="$work/moderator"
say "pending reports through the admin API: $(python3 "$helper" collect "$base" "$token" "$state")"

# One wrk run → $rps (whole requests/s), $p99, $bad (answers other than 2xx/3xx, timeouts).
measure() {
    local out timeouts
    # wrk leaves a request that takes longer than --timeout out of the latencies: p99 then
    # reads "—" and the timeouts are counted beside the non-2xx answers.
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s --latency "$@" 2>&1 || true)
    rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
    p99=$(awk '/^ +99%/ { print $2 }' <<<"$out")
    bad=$(awk '/Non-2xx or 3xx responses/ { print $NF }' <<<"$out")
    bad=${bad:-0}
    timeouts=$(sed -n 's/.*timeout \([0-9]*\).*/\1/p' <<<"$out")
    if [[ -n "$timeouts" && "$timeouts" != 0 ]]; then bad="$bad (+$timeouts timeouts over 10 s)"; fi
    if [[ -z "$p99" || "$p99" == 0.00us ]]; then p99="—"; fi
    rps=${rps:-0}
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'; }
# Every URL must answer 200 before it is measured: a 400 measures the error page.
check() {
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "$base$1")
    [[ "$status" == 200 ]] || { echo "$1 answered $status, not 200: fix the URL" >&2; exit 1; }
}
# The first request after a change: one publication, then the view once, timed by curl.
cold() {
    local answer
    python3 "$helper" one "$base" "$token" "$state"
    answer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$base$1")
    [[ "${answer% *}" == 200 ]] || { echo "$1 answered ${answer% *} cold" >&2; exit 1; }
    awk -v s="${answer#* }" 'BEGIN { printf "%.0f ms", s * 1000 }'
}

almaty="76.80,43.15,77.05,43.35"
astana="71.30,51.05,71.60,51.30"
country="46.4,40.5,87.4,55.5"
clusters="/api/v1/incidents/clusters"
quiet=(
    "\`/healthz\` (ceiling)|/healthz"
    "clusters, Almaty at zoom 12|$clusters?zoom=12&bbox=$almaty"
    "clusters, the country at zoom 5|$clusters?zoom=5&bbox=$country"
    "statistics, Almaty|/api/v1/stats?city=almaty"
    "statistics, the country|/api/v1/stats"
    "statistics page \`/stats\`|/stats"
    "density, Almaty|/api/v1/incidents/density?bbox=$almaty"
    "\`GET /incidents\`, small bbox|/api/v1/incidents?perPage=100&bbox=76.90,43.23,76.95,43.26"
    "\`GET /incidents\`, the country's box|/api/v1/incidents?perPage=100&bbox=$country"
    "home page \`/\`|/"
)
# The public filters (IncidentFilters.parse): kinds and placeTypes are lists of the enums'
# raw values, months are YYYY-MM (demo data covers the last two years), city is a slug.
filters=(
    "kinds=verbal"
    "from=2025-03&to=2025-03&city=almaty"
    "perpetrator=known&prevented=true"
    "placeTypes=public_transport,street&city=astana"
    "kinds=physical,cyber&from=2025-01&to=2025-06"
)
filtered=()
for filter in "${filters[@]}"; do filtered+=("statistics, \`$filter\`|/api/v1/stats?$filter"); done
for filter in "${filters[@]}"; do filtered+=("clusters at zoom 5, the country, \`$filter\`|$clusters?zoom=5&bbox=$country&$filter"); done
for filter in "${filters[@]}"; do
    box=$almaty name=Almaty
    if [[ "$filter" == *city=astana* ]]; then box=$astana name=Astana; fi
    filtered+=("clusters at zoom 12, $name, \`$filter\`|$clusters?zoom=12&bbox=$box&$filter")
done
# The statistics page names its filters in the singular (FilterForm): `kind`, `placeType`.
filtered+=("statistics page \`/stats?kind=verbal\`|/stats?kind=verbal")
filtered+=("density, Almaty, \`kinds=verbal\`|/api/v1/incidents/density?bbox=$almaty&kinds=verbal")
unknown=("home page \`/?utm_source=bench\`|/?utm_source=bench")

for entry in "${quiet[@]}" "${filtered[@]}" "${unknown[@]}"; do check "${entry#*|}"; done
page_total() { curl -s -H 'Accept-Language: en' "$base$1" | sed -n 's/.*stats-total">[^<]*<strong>\([^<]*\)<.*/\1/p'; }
if [[ "$(page_total /stats)" == "$(page_total '/stats?kind=verbal')" ]]; then
    echo "warning: /stats?kind=verbal shows the same total as /stats: is the page filtered?" >&2
fi

# One request per view before measuring: the first after a start or a change computes the
# view; the quiet table shows the views as visitors meet them.
for entry in "${quiet[@]}"; do curl -fsS -o /dev/null "$base${entry#*|}"; done

cat >"$work/report.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"role":"victim","date":"2025-03-08","timeBand":"evening","latitude":43.2389,"longitude":76.8897,' ..
  '"city":"almaty","placeType":"street","kinds":["verbal"],"perpetrator":"stranger","perpetratorCount":"one",' ..
  '"prevented":false,"description":"A man followed me from the bus stop shouting insults at me.",' ..
  '"publishConsent":true,"language":"en"}'
LUA
# A different unknown parameter on every request (each thread its own prefix).
cat >"$work/utm.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", tostring(threads))
end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format(nil, "/?utm_source=" .. prefix .. "-" .. counter)
end
LUA

declare -A quiet_rps
echo
echo "### Quiet ($connections connections, ${duration} s each)"
echo
echo "| view | requests/s | × health | p99 | not 2xx/3xx |"
echo "|---|---|---|---|---|"
for entry in "${quiet[@]}"; do
    say "quiet: ${entry%%|*}"
    measure "$base${entry#*|}"
    quiet_rps[${entry#*|}]=$rps
    echo "| ${entry%%|*} | $rps | $(ratio "$rps" "${quiet_rps[/healthz]}") | $p99 | $bad |"
done

echo
echo "### The home page with an unknown parameter"
echo
echo "| view | requests/s | × home | p99 | not 2xx/3xx |"
echo "|---|---|---|---|---|"
say "home with ?utm_source=bench"
measure "$base/?utm_source=bench"
echo "| home page \`/?utm_source=bench\` | $rps | $(ratio "$rps" "${quiet_rps[/]}") | $p99 | $bad |"
say "home with a changing utm_source"
measure -s "$work/utm.lua" "$base/"
echo "| home page, \`?utm_source=\` changing per request | $rps | $(ratio "$rps" "${quiet_rps[/]}") | $p99 | $bad |"

declare -A filtered_rps
echo
echo "### Filtered views (cold: the first request after a publication)"
echo
echo "| view | cold | requests/s | p99 | not 2xx/3xx |"
echo "|---|---|---|---|---|"
for entry in "${filtered[@]}"; do
    say "filtered: ${entry%%|*}"
    first=$(cold "${entry#*|}")
    measure "$base${entry#*|}"
    filtered_rps[${entry#*|}]=$rps
    echo "| ${entry%%|*} | $first | $rps | $p99 | $bad |"
done

# The mixed case: the views a visitor meets while a moderator publishes.
mixed=(
    "home page \`/\`|/"
    "clusters, the country at zoom 5|$clusters?zoom=5&bbox=$country"
    "clusters, Almaty at zoom 12|$clusters?zoom=12&bbox=$almaty"
    "statistics, the country|/api/v1/stats"
    "statistics, Almaty|/api/v1/stats?city=almaty"
    "statistics, \`kinds=verbal\`|/api/v1/stats?kinds=verbal"
)
declare -A mixed_row
publishing=()
for rate in 2 10; do
    python3 "$helper" publish "$base" "$token" "$state" "$rate" >"$work/publisher-$rate.md" &
    publisher=$!
    pids+=("$publisher")
    sleep 1
    for entry in "${mixed[@]}"; do
        say "mixed, $rate publications/s: ${entry%%|*}"
        path=${entry#*|}
        measure "$base$path"
        reference=${quiet_rps[$path]:-${filtered_rps[$path]:-0}}
        mixed_row[$path]="${mixed_row[$path]:-} | $rps | $p99 | $bad | $(ratio "$rps" "$reference")"
    done
    kill -TERM "$publisher"
    wait "$publisher" || true
    publishing+=("$(cat "$work/publisher-$rate.md")")
done
echo
echo "### Mixed: the views while a moderator publishes (× quiet = requests/s over the quiet figure)"
echo
echo "| view | quiet requests/s | at 2/s: requests/s | p99 | not 2xx/3xx | × quiet | at 10/s: requests/s | p99 | not 2xx/3xx | × quiet |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for entry in "${mixed[@]}"; do
    path=${entry#*|}
    echo "| ${entry%%|*} | ${quiet_rps[$path]:-${filtered_rps[$path]:-}}${mixed_row[$path]} |"
done
echo
printf '%s\n' "${publishing[@]}"

# The staleness probe, on this server and on a second process on the same SQLite folder.
second=
second_port=$(free_port)
if start_server "$second_port" "$work/server2.log"; then
    second="http://127.0.0.1:$second_port"
    # Its caches made once, as on an instance that has been serving.
    for entry in "${mixed[@]}"; do curl -s -o /dev/null "$second${entry#*|}"; done
else
    echo "(a second server process on the same data folder did not start: probe on one server only)" >&2
fi
say "staleness probe, $trials publications"
echo
echo "### Staleness probe: publish one report, then read every view at once"
echo
python3 "$helper" probe "$base" "$token" "$state" "$work/dauys.sqlite" "$trials" $second
if [[ -n "$second" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
fi
server=$main_server

say "POST /reports"
echo
echo "### Submissions"
echo
echo "| view | requests/s | p99 | not 2xx/3xx |"
echo "|---|---|---|---|"
measure -s "$work/report.lua" "$base/api/v1/reports"
echo "| \`POST /reports\` ($connections connections) | $rps | $p99 | $bad |"

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
country_bytes=$(curl -s "$base$clusters?zoom=5&bbox=$country" | wc -c)
country_gzip=$(curl -s -H 'Accept-Encoding: gzip' "$base$clusters?zoom=5&bbox=$country" | wc -c)
echo "- the country's map view: $country_bytes bytes ($country_gzip compressed)"
# The peak is the process's high-water mark: reset it first, or it is the start's (reading the
# published set) rather than the export's.
echo 5 >"/proc/$server/clear_refs" 2>/dev/null || true
before=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
start=$(date +%s.%N)
csv_bytes=$(curl -s "$base/api/v1/export/incidents.csv" | wc -c)
csv_seconds=$(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
echo "- CSV export: $csv_bytes bytes in ${csv_seconds} s; peak memory $(( peak / 1024 )) MB, $(( (peak - before) / 1024 )) MB above the resident size before"
# At info a server error writes "request failed"; the per-minute lines count every 5xx (the
# last minute's only once it ends).
failed_lines=$(cat "$work"/server*.log | grep -c 'request failed' || true)
minute_5xx=$(cat "$work"/server*.log | sed -n 's/.* 5xx=\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
echo "- server errors: $failed_lines \"request failed\" lines; $minute_5xx 5xx in the per-minute counts"
echo "- server log: $(wc -l <"$work/server.log") lines, $(( $(wc -c <"$work/server.log") / 1024 )) KB"

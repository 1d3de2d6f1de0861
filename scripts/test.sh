#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. the Swift tests on in-memory SQLite,
#   2. the same Swift tests on a real PostgreSQL server started here on loopback,
#   3. the browser tests in headless Chromium (JavaScript on and off, axe accessibility,
#      no third-party request, no identifying data in logs or the database),
#   4. API fuzzing with schemathesis: thousands of requests, no 5xx, no answer off the schema,
#   5. the durability proof: 1,000+ submissions while the server is killed 20+ times.
# It starts by checking that every Swift file is formatted (scripts/format.sh), and one debug
# build serves everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh --test

echo "== Formatting (swift format, .swift-format)"
scripts/format.sh --check

echo "== Building (debug, once)"
swift build --build-tests

# Tests that measure the whole process (resident memory) run alone, after the shared run.
alone=ExportMemoryTests
swift_tests() {
    swift test --skip-build --skip "$alone"
    # A filter that matches nothing passes silently: insist that the suite ran.
    local log
    log=$(mktemp)
    swift test --skip-build --filter "$alone" 2>&1 | tee "$log"
    grep -qE "Test run with [1-9][0-9]* tests? in [1-9]" "$log" || { echo "$alone did not run"; exit 1; }
    rm -f "$log"
}

echo "== Swift tests on SQLite"
swift_tests

work=$(mktemp -d /tmp/dauys-test.XXXXXX)
chmod 755 "$work"
pg_dir="$work/postgres"
cleanup() { scripts/postgres.sh stop "$pg_dir" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== Swift tests on PostgreSQL"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
url=$(scripts/postgres.sh start "$pg_dir" "$port")
DAUYS_TEST_DATABASE_URL="$url" swift_tests

echo "== Browser tests (Chromium)"
DAUYS_BINARY="$PWD/.build/debug/dauys" python3 -m pytest -q tests/browser

echo "== API fuzzing (schemathesis against /api/v1/openapi.json)"
DAUYS_BINARY="$PWD/.build/debug/dauys" scripts/fuzz.sh 300

echo "== Durability: concurrent submissions while the server is killed, on SQLite and PostgreSQL"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DAUYS_BINARY="$PWD/.build/debug/dauys" \
    DAUYS_DURABILITY_DATABASE_URL="${url/dauys_test/dauys_durability}" \
    DAUYS_DURABILITY_AMCHECK="$pg_bin/pg_amcheck -h 127.0.0.1 -p $port -U postgres --install-missing dauys_durability" \
    python3 -m pytest -q -s tests/durability

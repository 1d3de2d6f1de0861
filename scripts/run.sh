#!/usr/bin/env bash
# Runs Dauys on its embedded SQLite database (in ./data) and prints the address to open.
# Extra arguments go to `dauys serve`, e.g. scripts/run.sh --hostname 0.0.0.0 --port 8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build --product dauys
exec .build/debug/dauys serve "$@"

#!/usr/bin/env bash
# Formats every Swift file with the project's .swift-format (swift format ships with Swift).
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; fail and list the files that are not formatted
set -euo pipefail
cd "$(dirname "$0")/.."

files=$(git ls-files '*.swift'; git ls-files --others --exclude-standard '*.swift')
if [[ "${1:-}" == "--check" ]]; then
    # `lint --strict` turns every finding into an error and prints file:line for each.
    if ! swift format lint --strict --configuration .swift-format $files; then
        echo "Some Swift files are not formatted: run scripts/format.sh" >&2
        exit 1
    fi
else
    swift format format --in-place --configuration .swift-format $files
fi

#!/usr/bin/env bash
# The redaction benchmark of issue #21 — not part of the test suite. Compiles the App's
# redaction sources with the benchmark's main (optimised, whole module, as a release build
# does) into .build-bench, then times Redaction.findings on crafted 5,000-character texts and
# a page of 50 of them. Record runs in docs/performance.md.
#   scripts/bench-redaction.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-bench
mkdir -p "$out"
# The redaction code reads the built-in city list; it is copied out of City.swift, whose other
# parts need Vapor and Fluent.
awk '/^enum CityCatalog/,/^}/' Sources/App/Map/City.swift >"$out/CityCatalog.swift"
m=Sources/App/Moderation
swiftc -O -wmo -parse-as-library -o "$out/bench-redaction" \
    "$m/Redaction.swift" "$m/RedactionText.swift" "$m/RedactionDetectors.swift" "$m/SpokenNumbers.swift" \
    "$m/FirstNames.swift" "$out/CityCatalog.swift" scripts/bench-redaction.swift
"$out/bench-redaction"

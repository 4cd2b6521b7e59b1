#!/usr/bin/env bash
# Builds the libFuzzer harness (fuzz/Harness.swift) with the sources of the modules it needs,
# compiled as one module (their `import Gate…` lines dropped), `swiftc -sanitize=fuzzer,address`.
#   fuzz/build.sh OUT MODULE...
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
work=$(mktemp -d /tmp/gate-fuzz-src.XXXXXX)
trap 'rm -rf "$work"' EXIT
for m in "$@"; do
    find "Sources/$m" -name '*.swift' | while read -r f; do
        sed -E '/^(@testable |internal |public |package )?import Gate[A-Za-z]*$/d' "$f" > "$work/$m-$(echo "${f#Sources/$m/}" | tr / -)"
    done
done
export PATH="/opt/swift/usr/bin:$PATH"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name GateFuzz -package-name gate \
    -I Sources/CSodium -I Sources/CSQLite -I Sources/CZlib -lsodium -lsqlite3 -lz \
    "$work"/*.swift fuzz/Harness.swift -o "$out" 2> >(grep -v "ld.gold: warning" >&2)

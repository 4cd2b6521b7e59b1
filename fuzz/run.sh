#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads bytes from outside (libFuzzer through
# `swiftc -sanitize=fuzzer,address`), each target for SECONDS (default 600), corpora seeded from
# the test vectors. Not part of CI. Prints executions and crashes per target; exit 1 on a crash.
#   fuzz/run.sh [SECONDS] [TARGET...]     targets: json token statement checkpoint intent keys policy http body url
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json token statement checkpoint intent keys policy http body url)
out=/tmp/gate-fuzz; mkdir -p "$out"
fuzz/build.sh "$out/harness" GateWire GateCrypto GateCore GateSystem GateCompression GateSQLite GateStore GateClient
failed=0
for t in "${targets[@]}"; do
    corpus="$out/corpus-$t"; mkdir -p "$corpus"
    case $t in
        token|checkpoint|intent) find Tests/GateCoreTests/Vectors -name '*.txt' -exec cp {} "$corpus/" \; ;;
        policy) cp examples/*.policy "$corpus/" 2>/dev/null || true ;;
        json) echo '{"a":[1,-2.5e3,{"b":"\u00e9"}],"c":null,"d":true}' > "$corpus/seed" ;;
        http) printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' > "$corpus/seed"
              printf 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}' > "$corpus/seed2" ;;
        body) echo '{"statement":"gatereq1.x.y","body":"eyJpbnRlbnQiOiIifQ","token":"gatetok1.a.b","id":"7K3FQ2XZ","status":"pending"}' > "$corpus/seed" ;;
        url) printf 'https://gate.example:8443/prefix/' > "$corpus/seed"; printf 'http://[::1]:80' > "$corpus/seed2" ;;
    esac
    log="$out/$t.log"
    if GATE_FUZZ_TARGET=$t "$out/harness" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$out/$t-" "$corpus" > "$log" 2>&1; then
        echo "$t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1), 0 crashes"
    else
        echo "$t: CRASH (see $log and $out/$t-crash-*)"; failed=1
    fi
done
exit $failed

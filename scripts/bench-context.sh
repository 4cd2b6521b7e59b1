#!/usr/bin/env bash
# Measures the issue 4 figure BENCHMARKS.md reports: a request whose context provider prints
# 5 MB is created, and then shown, each in <= 300 ms. Release build, static Swift runtime.
#   creation: from just before `gate -- true PLAN` is started to the time_us of its `requested`
#             ledger entry (taken after the provider ran, `cat PLAN` of 5 MB of plan-like lines,
#             and its output was stored; the commit's fsync follows). Each request then times out
#             after 1 s (--timeout 1s), which is not measured. The plan gains a line before each
#             request, so every output is new: hashed, compressed (zlib level 1) and stored.
#   show:     `gate show ID --no-pager` (plain, as piped) and `--json`, writing to /dev/null
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
gate="$PWD/.build/release/gate"
work=$(mktemp -d /tmp/gate-bench-context.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GATE_HOME="$work/state" GATE_POLICY="$work/policy" NO_COLOR=1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"

key=$("$gate" keygen --name bench --user bench-approver --out "$work/bench.key" --no-passphrase 2>/dev/null)
cat > "$GATE_POLICY" <<POLICY
version 1
approver bench user=bench-approver key=$key
context plan max=8M -- cat {1}
require 1 context=plan bind={1} -- true *
POLICY
chmod 600 "$GATE_POLICY"
python3 - "$work/plan.txt" <<'PY'
import sys
lines, i = [], 0
while sum(map(len, lines)) < 5 * 1024 * 1024:
    lines.append('  %s resource "aws_instance" "web_%d" {\n      %s ami = "ami-%08x"\n    }\n' % ("+-~"[i % 3], i, "+-~"[i % 3], i))
    i += 1
open(sys.argv[1], "w").write("".join(lines)[:5 * 1024 * 1024])
PY
echo "provider output: $(wc -c < "$work/plan.txt") bytes, $(wc -l < "$work/plan.txt") lines"
cd "$work"
echo
echo "== creating the request (provider run, output stored, request recorded), 20 requests"
for i in $(seq 20); do
    echo "# run $i" >> plan.txt   # a new output each time: stored and compressed anew
    t0=$(date +%s%6N)
    "$gate" --timeout 1s -- true plan.txt 2>/dev/null || true
    echo "$t0"
done > starts.txt
"$gate" log --json | python3 -c '
import json, statistics, sys
starts = [int(l) for l in open("starts.txt")]
req = [json.loads(l)["time_us"] for l in sys.stdin if json.loads(l)["kind"] == "requested"]
ms = sorted((r - s) / 1000 for r, s in zip(req, starts))
print("  median %.1f ms, min %.1f ms, max %.1f ms (%d requests)" % (statistics.median(ms), ms[0], ms[-1], len(ms)))'
id=$("$gate" log | awk '$4 == "requested" {print $3; exit}')
echo
echo "== showing it"
hyperfine -N --warmup 3 --runs 30 "$gate show $id --no-pager" "$gate show $id --json" --output=null 2>&1 | grep -E "Benchmark|Time|Range"
echo "state database: $(du -h "$GATE_HOME/state.db" | cut -f1) after $(( $("$gate" log | wc -l) )) ledger entries (the output is stored once)"

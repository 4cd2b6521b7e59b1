#!/usr/bin/env bash
# Measures the issue 6 figures BENCHMARKS.md reports, on a generated ledger:
#   gate audit verify over N entries (target <= 2 s at 1,000,000)
#   gate audit export --format jsonl of N entries to a file (target <= 5 s at 1,000,000)
# plus CSV export, a one-day --since window, `gate log --last 20`, and peak memory.
# Usage: scripts/bench-ledger.sh [N]   (default 1000000). Release build, static Swift runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine python3 time
export PATH="/opt/swift/usr/bin:$PATH"
n=${1:-1000000}
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
gate="$PWD/.build/release/gate"
work=$(mktemp -d /tmp/gate-bench-ledger.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GATE_HOME="$work/state" NO_COLOR=1

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"
echo "disk for GATE_HOME: $(df -h "$work" | awk 'NR==2 {print $1, $2}')"
"$gate" audit export >/dev/null          # gate creates the state database and its schema
start=$(date +%s)
python3 scripts/gen-ledger.py "$GATE_HOME" "$n"
echo "generated in $(( $(date +%s) - start )) s; database $(du -h "$GATE_HOME/state.db" | cut -f1)"
"$gate" audit verify | head -n 3        # also warms the page cache

echo
echo "== gate audit verify ($n entries)"
hyperfine -N --warmup 1 --runs 5 "$gate audit verify" 2>&1 | grep -E "Time|Range"
/usr/bin/time -f "peak RSS %M KB" "$gate" audit verify >/dev/null

echo
echo "== gate audit export --format jsonl > file ($n entries)"
hyperfine --warmup 1 --runs 5 --prepare "rm -f $work/export.jsonl" "$gate audit export --format jsonl > $work/export.jsonl" 2>&1 | grep -E "Time|Range"
echo "output $(du -h "$work/export.jsonl" | cut -f1), $(wc -l < "$work/export.jsonl") lines"
/usr/bin/time -f "peak RSS %M KB" "$gate" audit export >/dev/null
python3 tools/gate_verify.py ledger "$work/export.jsonl"

echo
echo "== gate audit export --format csv > file"
hyperfine --warmup 1 --runs 3 "$gate audit export --format csv > $work/export.csv" 2>&1 | grep -E "Time|Range"

echo
echo "== a one-day window (--since), and gate log --last 20"
last_day=$(sqlite3 "$GATE_HOME/state.db" "SELECT max(time_us)/1000000 - 86400 FROM ledger")
hyperfine -N --warmup 2 --runs 10 "$gate audit export --since $last_day" "$gate log --last 20" 2>&1 | grep -E "Benchmark|Time"

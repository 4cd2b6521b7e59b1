#!/usr/bin/env bash
# Measures the figures BENCHMARKS.md reports (issue 2):
#   1. gate -- /bin/true on an allowed command (ledger append included) vs sudo true vs env true
#   2. gate --token … -- /bin/true with a pre-issued token (verification + single-use record)
#   3. approval → child start latency, local mode, over N approvals (default 200)
# Usage: scripts/bench.sh [N]. Release build with the static Swift runtime, as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine sudo python3
export PATH="/opt/swift/usr/bin:$PATH"
n=${1:-200}
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
work=$(mktemp -d /tmp/gate-bench.XXXXXX)
# As installed (install(1) copies): the linker's own output file maps with more, smaller page
# faults, ~0.4 ms more per run here (BENCHMARKS.md, issue 17).
install -d "$work/bin" && install -m 0755 .build/release/gate .build/release/gate-commands "$work/bin/"
gate="$work/bin/gate"
trap 'rm -rf "$work"' EXIT
export GATE_HOME="$work/state" GATE_POLICY="$work/policy" NO_COLOR=1
out="${BENCH_OUT:-$PWD/bench-out}"
mkdir -p "$out"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"
echo "disk for GATE_HOME: $(df -h "$work" | awk 'NR==2 {print $1, $2}')"

key=$("$gate" keygen --name bench --user bench-approver --out "$work/bench.key" --no-passphrase 2>/dev/null)
cat > "$GATE_POLICY" <<POLICY
version 1
approver bench user=bench-approver key=$key
allow -- /bin/true
require 1 -- /bin/sh ...
require 1 -- /usr/bin/sh ...
default require 1
POLICY
chmod 600 "$GATE_POLICY"
"$gate" -- /bin/true   # creates the state database

echo
echo "== 1. allowed command: gate -- /bin/true vs sudo true vs env true"
hyperfine -N --warmup 30 --runs 500 --export-json "$out/allowed.json" \
    'sudo true' 'env true' "$gate -- /bin/true" 2>&1 | grep -E "Benchmark|Time|±"

echo
echo "== 2. pre-issued token: gate --token @FILE -- /bin/true (one fresh token per run)"
cat > "$work/tok-policy" <<POLICY
version 1
approver bench user=bench-approver key=$key
require 1 -- /bin/true
POLICY
chmod 600 "$work/tok-policy"
# In a state directory of their own (their filed requests would crowd section 3's list).
# One filed request (--no-wait) and one approval per token: a person approves a request once
# (a second approval by the same key is refused), and each token is single-use.
runs=300
mkdir "$work/toks"
for i in $(seq $((2 * runs + 80))); do
    id=$(GATE_HOME="$work/tok-state" GATE_POLICY="$work/tok-policy" "$gate" run --no-wait -- /bin/true 2>/dev/null || true)
    GATE_HOME="$work/tok-state" GATE_POLICY="$work/tok-policy" "$gate" approve "$id" --key "$work/bench.key" --print-token > "$work/toks/$(printf %05d "$i")" 2>/dev/null
done
[ "$(cat "$work"/toks/* | wc -l)" -gt $((2 * runs)) ] || { echo "bench: could not make $((2 * runs)) tokens" >&2; exit 1; }
# Both commands get the same --prepare (moving the next token into place), so that its cost to
# the caches falls on both alike; sudo ignores the token.
cat > "$work/next-token" <<'NEXT'
#!/bin/sh
for f in "$1"/toks/*; do mv "$f" "$1/tok"; exit 0; done
exit 1
NEXT
chmod +x "$work/next-token"
GATE_HOME="$work/tok-state" GATE_POLICY="$work/tok-policy" hyperfine -N --warmup 20 --runs "$runs" --export-json "$out/token.json" \
    --prepare "$work/next-token $work" \
    'sudo true' "$gate --token @$work/tok -- /bin/true" 2>&1 | grep -E "Benchmark|Time|±"

echo
echo "== 3. approval → child start latency over $n approvals (local mode)"
for i in $(seq "$n"); do
    "$gate" -- /bin/sh -c 'date +%s%6N' > "$work/child.$i" 2>/dev/null & req=$!
    for _ in $(seq 500); do id=$("$gate" list | awk '$3 == "pending" {print $1; exit}'); [ -n "$id" ] && break; sleep 0.005; done
    "$gate" approve "$id" --key "$work/bench.key" 2>/dev/null
    wait "$req"
    echo "$id $(cat "$work/child.$i")"
done > "$work/children"
"$gate" log --json > "$work/ledger.jsonl"
python3 scripts/approve-latency.py "$work/children" "$work/ledger.jsonl" "$out/latency.json"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
a = {r["command"]: r for r in json.load(open(d + "/allowed.json"))["results"]}
t = {r["command"]: r for r in json.load(open(d + "/token.json"))["results"]}
sudo = a["sudo true"]["mean"]
g = [v for k, v in a.items() if "gate" in k][0]["mean"]
tg = [v for k, v in t.items() if "gate" in k][0]["mean"]
print("\nsummary: allowed gate/sudo = %.2f×  (gate %.2f ms, sudo %.2f ms, env %.2f ms)" % (g / sudo, g * 1e3, sudo * 1e3, a["env true"]["mean"] * 1e3))
print("summary: token   gate/sudo = %.2f×  (gate %.2f ms, sudo %.2f ms in the same run)" % (tg / t["sudo true"]["mean"], tg * 1e3, t["sudo true"]["mean"] * 1e3))
PY

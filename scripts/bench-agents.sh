#!/usr/bin/env bash
# Measures issue 16's figures (BENCHMARKS.md), release build with the static Swift runtime:
#   1. tools/call run of an allowed /bin/true through a warm `gate mcp` session: p50/p90/p99
#      round trip over N calls (scripts/bench-mcp-client.py speaks the JSON-RPC lines itself,
#      so the figure is gate's, not a client library's)
#   2. `gate hook claude-code` answering for an allowed command vs `sudo true` (scripts/bench-stdin.c)
# Usage: scripts/bench-agents.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine sudo python3
export PATH="/opt/swift/usr/bin:$PATH"
n=${1:-500}
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
work=$(mktemp -d /tmp/gate-bench.XXXXXX)
# As installed (install(1) copies): the linker's own output file maps with more, smaller page
# faults, ~0.4 ms more per run here (BENCHMARKS.md, issue 17).
install -d "$work/bin" && install -m 0755 .build/release/gate .build/release/gate-commands "$work/bin/"
gate="$work/bin/gate"
trap 'rm -rf "$work"' EXIT
export GATE_HOME="$work/state" GATE_POLICY="$work/policy" NO_COLOR=1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"
echo "disk for GATE_HOME: $(df -h "$work" | awk 'NR==2 {print $1, $2}')"
key=$("$gate" keygen --name bench --user bench-approver --out "$work/bench.key" --no-passphrase 2>/dev/null)
cat > "$GATE_POLICY" <<POLICY
version 1
approver bench user=bench-approver key=$key
allow -- /bin/true
allow -- true
default require 1
POLICY
chmod 600 "$GATE_POLICY"
"$gate" -- /bin/true   # creates the state database

echo
echo "== 1. tools/call run [/bin/true], warm gate mcp session, $n calls"
python3 scripts/bench-mcp-client.py "$gate" "$n"

echo
echo "== 2. gate hook claude-code (allowed: true) vs sudo true"
printf '{"session_id":"b","transcript_path":"/tmp/t","cwd":"%s","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"true","description":"bench"}}' "$work" > "$work/envelope.json"
"$gate" hook claude-code < "$work/envelope.json"
# hyperfine 1.15 (Debian 12) has no --input: a small C timer spawns each with the envelope as stdin.
gcc -O2 -o "$work/bench-stdin" scripts/bench-stdin.c
"$work/bench-stdin" "$work/envelope.json" 500 30 -- sudo true -- "$gate" hook claude-code

#!/usr/bin/env bash
# Issue 18, finding 4: 16 registered runners file requests with ~21 MB bodies (a 12 MB context
# output each, base64 in JSON, in a statement-bound body that is base64 again) against one gate-server at once. Prints the server's peak RSS
# (VmHWM) and how each runner's upload ended, once with --body-memory at its default (128 MiB)
# and once with it out of the way (4 GiB: the server before the budget).
#   scripts/bench-server-bodies.sh [RUNNERS] [debug|release]   (default 16 debug)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config python3
export PATH="/opt/swift/usr/bin:$PATH"
runners=${1:-16}
config=${2:-debug}
swift build -c "$config" --product gate >/dev/null && swift build -c "$config" --product gate-commands >/dev/null
swift build -c "$config" --product gate-server >/dev/null
bin="$PWD/.build/$config"
work=$(mktemp -d /tmp/gate-bench-bodies.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); $config build"
export GATE_HOME="$work/runner" GATE_POLICY="$work/policy" GATE_REQUESTER_KEY="$work/ci1.key" NO_COLOR=1
mkdir -m 700 "$GATE_HOME"
ci1=$("$bin/gate" keygen --name ci1 --out "$work/ci1.key" --no-passphrase 2>/dev/null)
alice=$("$bin/gate" keygen --name alice --user bench-alice --out "$work/alice.key" --no-passphrase 2>/dev/null)
rules="approver alice user=bench-alice key=$alice
context big max=24M timeout=60s -- /usr/bin/head -c 12000000 /dev/urandom
require 1 context=big -- /bin/echo ..."
printf 'version 1\n%s\n' "$rules" > "$GATE_POLICY"; chmod 600 "$GATE_POLICY"
for budget in $((128 << 20)) $((4 << 30)); do
    mkdir -m 700 "$work/state-$budget"
    printf 'version 1\nrequester ci1 key=%s\n%s\n' "$ci1" "$rules" > "$work/state-$budget/policy"; chmod 600 "$work/state-$budget/policy"
    "$bin/gate-server" --listen 127.0.0.1:0 --state "$work/state-$budget" --body-memory "$budget" --max-pending 100 \
        --context-quota $((4 << 30)) 2> "$work/server-$budget.log" &
    pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/server-$budget.log" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/server-$budget.log" | head -1)
    echo
    echo "== --body-memory $budget: RSS before $(awk '/VmRSS/ {print $2}' /proc/$pid/status) kB"
    for i in $(seq "$runners"); do
        ( rc=0; "$bin/gate" --server "http://127.0.0.1:$port" --timeout 20s -- /bin/echo "$i" > "$work/out-$budget-$i" 2>&1 || rc=$?
          echo "exit=$rc" >> "$work/out-$budget-$i" ) &
    done
    wait $(jobs -p | grep -v "^$pid$") || true
    echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$pid/status) kB; RSS after: $(awk '/VmRSS/ {print $2}' /proc/$pid/status) kB"
    echo "runners' ends:"; cat "$work"/out-"$budget"-* | grep -E "^exit=|error:" | sed 's/request [0-9A-Z-]*/request …/' | sort | uniq -c
    kill $pid; wait $pid 2>/dev/null || true
done

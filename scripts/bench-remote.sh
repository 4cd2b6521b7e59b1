#!/usr/bin/env bash
# Measures the issue 5 figures BENCHMARKS.md reports, on loopback, release builds:
#   1. approve → the requester's child starts, over N remote approvals (default 200): real
#      processes throughout. A requester `gate -- sh -c 'date +%s%6N'` (GATE_SERVER set, stderr
#      not a terminal: one long-poll per 25 s) waits; an approver runs `gate approve ID` against
#      the server. Latency = the child's own start time minus the time_us of the server's
#      `approved` ledger entry (written when the server has checked and stored the token).
#   2. 1,000 requesters waiting at once (scripts/bench-remote-waiters.py): signed requests and
#      long-polls at the protocol level (SPEC.md §9, from the Python implementation), then 1,000
#      approvals, one after another; latency = approval sent → that waiter's long-poll answered; the server's
#      peak RSS (VmHWM) while all wait.
#   3. as 2, but the 1,000 approvals are sent at the same instant (a worst case: commits are
#      serial, so the last waiter also waits for the 999 commits before its own).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config curl python3
scripts/python-deps.sh
export PATH="/opt/swift/usr/bin:$PATH"
n="${1:-200}"
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
swift build -c release --static-swift-stdlib --product gate-server >/dev/null
bin="$PWD/.build/release"
work=$(mktemp -d /tmp/gate-bench-remote.XXXXXX)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"

mkdir -m 700 "$work/server" "$work/req" "$work/appr"
key=$("$bin/gate" keygen --name bench --user bench-approver --out "$work/bench.key" --no-passphrase 2>/dev/null)
rkey=$("$bin/gate" keygen --name ci1 --out "$work/requester.key" --no-passphrase 2>/dev/null)
printf 'version 1\napprover bench user=bench-approver key=%s\nrequire 1 -- /bin/sh ...\n' "$key" > "$work/policy"
printf 'version 1\napprover bench user=bench-approver key=%s\nrequester ci1 key=%s\nrequire 1 -- /bin/sh ...\n' "$key" "$rkey" > "$work/server/policy"
chmod 600 "$work/policy" "$work/server/policy"
# Starts gate-server on a system-chosen port with state DIR; sets server_pid and url.
start_server() {
    "$bin/gate-server" --listen 127.0.0.1:0 --state "$1" 2> "$1.log" & server_pid=$!
    for _ in $(seq 200); do grep -q "listening on" "$1.log" && break; sleep 0.05; done
    url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$1.log")
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
# 1,000 protocol-level requesters against a fresh server with state DIR (extra args: --burst).
waiters() {
    mkdir -m 700 "$1"
    python3 scripts/bench-remote-waiters.py --setup "$1" "$1.keys.json"
    start_server "$1"
    python3 scripts/bench-remote-waiters.py --run "$url" "$1.keys.json" "$server_pid" "${WAITERS:-1000}" "${@:2}"
    stop_server
}
start_server "$work/server"
export GATE_SERVER="$url" GATE_POLICY="$work/policy" NO_COLOR=1

echo "== 1. approve → child start over $n remote approvals ($url)"
for i in $(seq "$n"); do
    GATE_HOME="$work/req" GATE_REQUESTER_KEY="$work/requester.key" "$bin/gate" -- /bin/sh -c 'date +%s%6N' > "$work/child.$i" 2>/dev/null & req=$!
    id=""
    for _ in $(seq 1000); do
        id=$(curl -s "$url/v1/requests" | python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(r[0]["id"] if r else "")')
        [ -n "$id" ] && break
        sleep 0.005
    done
    GATE_HOME="$work/appr" "$bin/gate" approve "$id" --key "$work/bench.key" 2>/dev/null
    wait "$req"
    echo "$id $(cat "$work/child.$i")"
done > "$work/children"
GATE_HOME="$work/server" "$bin/gate" log --json > "$work/server-ledger.jsonl"
python3 scripts/approve-latency.py "$work/children" "$work/server-ledger.jsonl"
stop_server

echo
echo "== 2. 1,000 requesters waiting at once"
waiters "$work/server2"

echo
echo "== 3. the same, with all 1,000 approvals sent at the same instant"
waiters "$work/server3" --burst

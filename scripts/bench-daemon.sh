#!/usr/bin/env bash
# Issue 12's numbers, through the gate daemon (release build, static Swift runtime, as shipped):
#   1. gate -- /bin/true through the daemon, allowed, durable record, as= another user, vs
#      sudo -u that user true, in one hyperfine run, both as the same unprivileged requester
#   2. 32 concurrent clients x 100 runs each: runs/s, and that every run is in the ledger
# Must run as root (it makes two users and a sudoers rule, and runs the daemon).
# Usage: scripts/bench-daemon.sh [CLIENTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine sudo
export PATH="/opt/swift/usr/bin:$PATH"
clients=${1:-32}
runs=${2:-100}
[ "$(id -u)" = 0 ] || { echo "bench-daemon: run as root" >&2; exit 1; }
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
work=$(mktemp -d /tmp/gate-bench-daemon.XXXXXX)
chmod 755 "$work"
install -m 0755 .build/release/gate .build/release/gate-commands "$work/"
gate="$work/gate"
for u in bench-agent bench-deploy; do id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$u"; done
echo "bench-agent ALL=(bench-deploy) NOPASSWD: /usr/bin/true" > /etc/sudoers.d/gate-bench
chmod 440 /etc/sudoers.d/gate-bench
cat > "$work/policy" <<POLICY
version 1
allow as=bench-deploy -- /usr/bin/true
POLICY
chmod 644 "$work/policy"
"$gate" daemon --socket "$work/sock" --state "$work/state" --policy "$work/policy" 2>"$work/daemon.log" &
daemon=$!
# The same daemon without prepared workers (each request forks its worker when it arrives), for
# section 1's comparison.
GATE_DAEMON_PREPARED=0 "$gate" daemon --socket "$work/sock0" --state "$work/state0" --policy "$work/policy" 2>"$work/daemon0.log" &
daemon0=$!
trap 'kill $daemon $daemon0 2>/dev/null; wait $daemon $daemon0 2>/dev/null; rm -rf "$work" /etc/sudoers.d/gate-bench' EXIT
while [ ! -S "$work/sock" ] || [ ! -S "$work/sock0" ]; do sleep 0.05; done
as_agent() { setpriv --reuid=bench-agent --regid=bench-agent --init-groups -- env -i PATH=/usr/bin:/bin HOME=/home/bench-agent GATE_SOCKET="$work/sock" "$@"; }
as_agent "$gate" -- /bin/true
[ "$(as_agent "$gate" -- /usr/bin/id -un 2>/dev/null || true)" = "" ] || true

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(swift --version 2>&1 | head -n1)"
echo "disk for the daemon's state: $(df -h "$work" | awk 'NR==2 {print $1, $2}')"
echo
echo "== 1. as bench-agent: sudo -u bench-deploy true vs gate -- /bin/true through the daemon (as=bench-deploy)"
as_agent hyperfine -N --warmup 30 --runs 300 'sudo -u bench-deploy true' "$gate -- /bin/true" 2>&1 | grep -E "Benchmark|Time|±|faster"
echo "-- the same, side by side with a daemon that forks each worker at its request (GATE_DAEMON_PREPARED=0)"
as_agent hyperfine -N --warmup 30 --runs 300 'sudo -u bench-deploy true' "$gate -- /bin/true" "env GATE_SOCKET=$work/sock0 $gate -- /bin/true" "env GATE_SOCKET=$work/sock $gate -- /bin/true" 2>&1 | grep -E "Benchmark|Time|±"

echo
echo "== 2. $clients concurrent clients x $runs runs"
before=$(GATE_HOME="$work/state" "$gate" log --json | grep -c '"kind":"finished"' || true)
start=$(date +%s.%N)
for c in $(seq "$clients"); do
    ( for r in $(seq "$runs"); do as_agent "$gate" -- /bin/true || echo "FAILED run $c.$r" >&2; done ) &
done
# The clients alone: both daemons are jobs of this shell too, and never end on their own.
wait_for=$(jobs -p | grep -v -e "^$daemon$" -e "^$daemon0$" || true)
for p in $wait_for; do wait "$p"; done
end=$(date +%s.%N)
after=$(GATE_HOME="$work/state" "$gate" log --json | grep -c '"kind":"finished"')
total=$((clients * runs))
echo "runs: $total in $(echo "$end - $start" | bc) s = $(echo "$total / ($end - $start)" | bc) runs/s"
echo "finished entries added to the ledger: $((after - before)) of $total"
GATE_HOME="$work/state" GATE_POLICY="$work/policy" "$gate" audit verify | head -1
echo
echo "== 3. the daemon's side alone (protocol-level clients): 1 x 200, then $clients x 50"
cp scripts/bench-daemon-client.py "$work/client.py"
as_agent /usr/bin/python3 "$work/client.py" "$work/sock" 1 200
as_agent /usr/bin/python3 "$work/client.py" "$work/sock" "$clients" 50

#!/usr/bin/env bash
# Remote mode, end to end on this machine: builds gate and gate-server, starts `gate serve` on
# 127.0.0.1, and walks a request from a "CI runner" (its own GATE_HOME and requester key)
# through an approval from "alice" (another GATE_HOME) via the server; then shows the server's
# ledger, the page, and the runner's ledger verified against the checkpoint copy the server
# holds. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config curl
export PATH="/opt/swift/usr/bin:$PATH"

echo "== building gate and gate-server (release; the server's first build takes minutes)"
swift build -c release --static-swift-stdlib --product gate 2>&1 | tail -n 1 && swift build -c release --static-swift-stdlib --product gate-commands 2>&1 | tail -n 1
swift build -c release --static-swift-stdlib --product gate-server 2>&1 | tail -n 1
gate="$PWD/.build/release/gate"

demo=$(mktemp -d /tmp/gate-demo-remote.XXXXXX)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$demo"' EXIT
mkdir -m 700 "$demo/server" "$demo/runner" "$demo/alice"
export NO_COLOR=1
say() { printf '\n== %s\n' "$*"; }

say "keys: alice approves; ci-runner-1 signs what the runner sends to the server"
alice=$("$gate" keygen --name alice --user alice --out "$demo/alice.key" --no-passphrase 2>/dev/null)
runner=$("$gate" keygen --name ci-runner-1 --out "$demo/runner/requester.key" --no-passphrase 2>/dev/null)
rules="approver alice user=alice key=$alice
require 1 reason -- /bin/sh -c *"
printf 'version 1\n%s\n' "$rules" > "$demo/policy"
printf 'version 1\nrequester ci-runner-1 key=%s\n%s\n' "$runner" "$rules" > "$demo/server/policy"
chmod 600 "$demo/policy" "$demo/server/policy"
cat "$demo/server/policy"

say "gate serve --listen 127.0.0.1:0 --state $demo/server"
"$gate" serve --listen 127.0.0.1:0 --state "$demo/server" 2> "$demo/server.log" & server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$demo/server.log" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$demo/server.log")
echo "listening on $url"
export GATE_SERVER="$url" GATE_POLICY="$demo/policy"

say "the runner asks (in the background here; in CI this is the job's step)"
GATE_HOME="$demo/runner" GATE_REQUESTER_KEY="$demo/runner/requester.key" \
    "$gate" --timeout 2m --reason "nightly export" -- /bin/sh -c 'echo "exported on $(hostname)"' &
requester=$!
for _ in $(seq 100); do id=$(GATE_HOME="$demo/alice" "$gate" list | awk '$3 == "pending" {print $1; exit}'); [ -n "$id" ] && break; sleep 0.1; done
[ -n "$id" ] || { echo "demo: the request did not reach the server" >&2; exit 1; }

say "alice, elsewhere: gate list / show / approve against the server"
GATE_HOME="$demo/alice" "$gate" list
GATE_HOME="$demo/alice" "$gate" show "$id" --no-pager
echo "the page: $url/r/${id/-/}"
curl -s "$url/r/${id/-/}" | grep -o '<code class="cmd">[^<]*</code>'
GATE_HOME="$demo/alice" GATE_KEY="$demo/alice.key" "$gate" approve "$id"
wait "$requester" && echo "(the runner's gate exited 0)"

say "the server's own ledger (requested, approved, the runner's checkpoint copy) and its verification"
GATE_HOME="$demo/server" "$gate" log
GATE_HOME="$demo/server" "$gate" audit verify

say "the runner's ledger, checked against the copy the server holds"
GATE_HOME="$demo/runner" "$gate" audit verify --from-server
echo
echo "demo: done (server log: $(grep -c 'gate-server:' "$demo/server.log") lines)"

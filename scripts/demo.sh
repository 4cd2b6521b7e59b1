#!/usr/bin/env bash
# The whole job, end to end, on the embedded default (a local SQLite state directory): builds
# gate, makes an approver key, writes the demo policy, and walks a real request through a real
# approval, a verified run, a refusal, the ledger, its verification and an evidence bundle checked
# by the independent verifier. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config python3
scripts/python-deps.sh
export PATH="/opt/swift/usr/bin:$PATH"

echo "== building gate (release, static Swift runtime)"
swift build -c release --static-swift-stdlib --product gate 2>&1 | tail -n 1 && swift build -c release --static-swift-stdlib --product gate-commands 2>&1 | tail -n 1
gate="$PWD/.build/release/gate"

demo=$(mktemp -d /tmp/gate-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
export GATE_HOME="$demo/state" GATE_POLICY="$demo/policy" NO_COLOR=1
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ gate'; printf ' %q' "${@:2}"; printf '\n'; "$@"; }

say "an approver key for alice (passphrase-protected; the demo feeds the passphrase from a file)"
printf 'correct horse battery staple\n' > "$demo/passphrase"; chmod 600 "$demo/passphrase"
export GATE_PASSPHRASE_FILE="$demo/passphrase"
printf '$ gate keygen --name alice --user alice --out %s\n' "$demo/alice.key"
key=$("$gate" keygen --name alice --user alice --out "$demo/alice.key")
sed "s|@ALICE_KEY@|$key|" examples/demo.policy > "$GATE_POLICY"; chmod 600 "$GATE_POLICY"

say "the policy: checked, and asked about a command before running it"
run "$gate" policy check
run "$gate" policy explain -- sh -c 'echo hello'

say "an allowed command runs at once (and is recorded)"
run "$gate" -- ls -d /tmp

say "a command that needs approval: the requester waits (in the background here)"
"$gate" --reason "rotate the demo log" -- sh -c 'echo "the approved command ran as $(id -un)"; exit 3' &
requester=$!
for _ in $(seq 100); do id=$("$gate" list | awk '$3 == "pending" {print $1; exit}'); [ -n "$id" ] && break; sleep 0.1; done
[ -n "$id" ] || { echo "demo: the request did not appear" >&2; exit 1; }
run "$gate" list
run "$gate" show "$id"

say "alice approves it in 'another terminal'; the requester verifies the token and runs the command"
run "$gate" approve "$id" --key "$demo/alice.key" --comment "looks right"
set +e; wait "$requester"; status=$?; set -e
echo "requester exited with $status (the command's own status)"
[ "$status" -eq 3 ] || { echo "demo: expected the command's status 3" >&2; exit 1; }

say "a token is good once: handing the same approval over again is refused"
"$gate" --reason "second try" -- sh -c 'echo again' & requester=$!
for _ in $(seq 100); do id2=$("$gate" list | awk '$3 == "pending" {print $1; exit}'); [ -n "$id2" ] && break; sleep 0.1; done
token=$("$gate" approve "$id2" --key "$demo/alice.key" --print-token 2>/dev/null)
wait "$requester" || true
set +e; "$gate" --token "$token" -- sh -c 'echo again'; status=$?; set -e
echo "replay exited with $status"
[ "$status" -eq 77 ] || { echo "demo: the replay was not refused" >&2; exit 1; }

say "the approver sees the plan, and approves exactly that plan: a plan changed since is not signed"
printf '  + resource "bucket" "logs"\n  - resource "instance" "old"\n' > "$demo/plan.txt"
( cd "$demo" && "$gate" --ticket DEMO-1 -- cp plan.txt applied.txt ) & requester=$!
for _ in $(seq 100); do id3=$("$gate" list | awk '$3 == "pending" {print $1; exit}'); [ -n "$id3" ] && break; sleep 0.1; done
[ -n "$id3" ] || { echo "demo: the plan request did not appear" >&2; exit 1; }
run "$gate" show "$id3" --no-pager
echo '  - resource "database" "main"' >> "$demo/plan.txt"
echo "(someone appends a line to plan.txt after the approver looked)"
echo "\$ gate approve $id3 --key $demo/alice.key"
set +e; "$gate" approve "$id3" --key "$demo/alice.key"; status=$?; set -e
[ "$status" -eq 77 ] || { echo "demo: the changed plan was signed" >&2; exit 1; }
kill -INT "$requester"
set +e; wait "$requester"; status=$?; set -e
echo "requester withdrew its request (Ctrl-C), exit $status"
[ "$status" -eq 75 ] && [ ! -e "$demo/applied.txt" ] || { echo "demo: the changed plan ran" >&2; exit 1; }

say "the policy denies some commands outright"
set +e; "$gate" -- rm -rf "$demo/nothing"; status=$?; set -e
[ "$status" -eq 77 ] || { echo "demo: the deny rule did not apply" >&2; exit 1; }

say "the audit ledger: who asked, who approved, what ran"
run "$gate" log
say "the hash chain and the signed checkpoints are intact"
run "$gate" audit verify
say "one file proves the approved run, checked without gate by the independent verifier"
run "$gate" audit evidence "$id" --out "$demo/evidence-$id.json"
echo "\$ python3 tools/gate_verify.py evidence $demo/evidence-$id.json \$(gate audit key)"
python3 tools/gate_verify.py evidence "$demo/evidence-$id.json" "$("$gate" audit key)"
echo
echo "demo complete: request, approval by a second key, verified run, refusals, ledger, checkpoints, evidence"
